//! One module per tag (a large tag is a folder). Routes read the request, call one service of
//! `peertrack-core` with the caller, and shape its answer; every rule and access decision is in
//! core.

pub mod assessments;
pub mod attendance;
pub mod audit;
pub mod certificates;
pub mod cohorts;
pub mod consents;
pub mod health;
pub mod me;
pub mod organisations;
pub mod outbox;
pub mod paging;
pub mod people;
pub mod personal_data;
pub mod placements;
pub mod preferences;
pub mod programmes;
pub mod register;
pub mod sign_in;
pub mod verify;

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
    /// Certificates: issue, download, revoke, renew.
    Certificates,
    /// Public checks of certificates, and the keys that sign credentials.
    Verification,
    /// A person's own records.
    Me,
    /// Signing in by email link.
    SignIn,
    /// Emails queued, sent and failed, for administrators.
    Outbox,
    /// The register of qualified peer supporters, for partner organisations.
    Register,
    /// Sharing qualification status with organisations.
    Consents,
}

/// The operations that record training and certify it.
pub type TrainingApis = (
    health::HealthApi,
    programmes::ProgrammesApi,
    organisations::OrganisationsApi,
    cohorts::CohortsApi,
    cohorts::sessions::SessionsApi,
    cohorts::enrolments::EnrolmentsApi,
    cohorts::progress::ProgressApi,
    attendance::AttendanceApi,
    assessments::AssessmentsApi,
    placements::PlacementsApi,
    people::PeopleApi,
    audit::AuditApi,
    certificates::CertificatesApi,
    verify::VerifyApi,
);

/// The operations for people's own records, signing in, email, and partners.
pub type PeopleApis = (
    me::MeApi,
    preferences::PreferencesApi,
    personal_data::PersonalDataApi,
    consents::ConsentsApi,
    sign_in::SignInApi,
    outbox::OutboxApi,
    register::RegisterApi,
    register::webhooks::WebhooksApi,
);

/// Every group of operations (poem-openapi takes tuples of at most 16, hence two).
pub type Apis = (TrainingApis, PeopleApis);

/// Every group of operations, as one value.
pub fn apis() -> Apis {
    (
        (
            health::HealthApi,
            programmes::ProgrammesApi,
            organisations::OrganisationsApi,
            cohorts::CohortsApi,
            cohorts::sessions::SessionsApi,
            cohorts::enrolments::EnrolmentsApi,
            cohorts::progress::ProgressApi,
            attendance::AttendanceApi,
            assessments::AssessmentsApi,
            placements::PlacementsApi,
            people::PeopleApi,
            audit::AuditApi,
            certificates::CertificatesApi,
            verify::VerifyApi,
        ),
        (
            me::MeApi,
            preferences::PreferencesApi,
            personal_data::PersonalDataApi,
            consents::ConsentsApi,
            sign_in::SignInApi,
            outbox::OutboxApi,
            register::RegisterApi,
            register::webhooks::WebhooksApi,
        ),
    )
}
