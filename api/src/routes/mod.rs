//! One module per tag. Routes authorise the caller, call `peertrack-core`, and shape answers;
//! they hold no SQL.

pub mod assessments;
pub mod attendance;
pub mod audit;
pub mod cohorts;
pub mod health;
pub mod organisations;
pub mod paging;
pub mod people;
pub mod placements;
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
    /// Cohorts, their sessions, learners and progress.
    Cohorts,
    /// Attendance registers.
    Attendance,
    /// Module assessments.
    Assessments,
    /// Practice placements and supervision.
    Placements,
    /// People's eligibility for certificates.
    People,
    /// Who changed what, and when.
    Audit,
}

/// Every group of operations.
pub type Apis = (
    health::HealthApi,
    programmes::ProgrammesApi,
    organisations::OrganisationsApi,
    cohorts::CohortsApi,
    attendance::AttendanceApi,
    assessments::AssessmentsApi,
    placements::PlacementsApi,
    people::PeopleApi,
    audit::AuditApi,
);

/// Every group of operations, as one value.
pub fn apis() -> Apis {
    (
        health::HealthApi,
        programmes::ProgrammesApi,
        organisations::OrganisationsApi,
        cohorts::CohortsApi,
        attendance::AttendanceApi,
        assessments::AssessmentsApi,
        placements::PlacementsApi,
        people::PeopleApi,
        audit::AuditApi,
    )
}
