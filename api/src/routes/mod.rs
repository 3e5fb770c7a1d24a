//! One module per tag. Routes authorise the caller, call `peertrack-core`, and shape answers;
//! they hold no SQL.

pub mod health;
pub mod organisations;
pub mod paging;
pub mod programmes;

use poem_openapi::Tags;

/// The tags operations are grouped under in the docs.
#[derive(Tags)]
pub enum Tag {
    /// Is the service up?
    Health,
    /// Programmes and their modules and certification rules.
    Programmes,
    /// Organisations: providers, placement hosts, partner employers.
    Organisations,
}

/// Every group of operations.
pub type Apis = (
    health::HealthApi,
    programmes::ProgrammesApi,
    organisations::OrganisationsApi,
);

/// Every group of operations, as one value.
pub fn apis() -> Apis {
    (
        health::HealthApi,
        programmes::ProgrammesApi,
        organisations::OrganisationsApi,
    )
}
