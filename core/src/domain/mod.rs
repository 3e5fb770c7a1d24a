//! Plain types and pure rules: attendance, eligibility, certificate expiry and renewal.
//!
//! Nothing in here does I/O. Rules that depend on "now" take the time as an argument, so they
//! are tested with any date without a clock or a database. How times are shown to people (UK
//! local time) and read back from what they type is [`local_time`]'s, in one place.

pub mod attendance;
pub mod certificate;
pub mod check_in;
pub mod clock;
pub mod eligibility;
pub mod input;
pub mod local_time;
pub mod programme;
pub mod records;

pub use attendance::{AttendanceOutlook, AttendanceRate, AttendanceStatus, HeldSession, PlannedSession};
pub use certificate::{CertificateStatus, CpdEntry, RenewalRule};
pub use clock::{utc, Clock, FixedClock, SystemClock};
pub use eligibility::{CertificationRule, Eligibility, LearnerRecord, Requirement, RequirementKind};
pub use programme::{AssessmentKind, ModuleSpec, ProgrammeDefinition, ProgrammeDefinitionError};
pub use records::{
    AssessmentOutcome, EnrolmentStatus, SupervisionFormat, SupervisionStatus, VerifiedSupervision,
};
