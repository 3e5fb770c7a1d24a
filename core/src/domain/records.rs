//! Small value types shared by the training records: enrolment status, assessment outcomes,
//! supervision formats.

use chrono::NaiveDate;

/// Declares a closed set of values stored as snake_case text, with `as_str` / `parse`.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and wire form.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// Parses the stored and wire form; `None` for anything else.
            pub fn parse(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use text_enum;

text_enum! {
    /// Where a learner stands in a cohort.
    EnrolmentStatus {
        /// Taking part.
        Active => "active",
        /// Finished the cohort.
        Completed => "completed",
        /// Left the cohort; their records are kept.
        Withdrawn => "withdrawn",
    }
}

text_enum! {
    /// The result of a module assessment.
    AssessmentOutcome {
        /// The module's outcomes are met.
        Achieved => "achieved",
        /// Not yet: the learner can try again.
        NotYetAchieved => "not_yet_achieved",
    }
}

text_enum! {
    /// How a supervision session was held.
    SupervisionFormat {
        /// One supervisor, one learner.
        Individual => "individual",
        /// A supervisor with several learners.
        Group => "group",
        /// Peer co-supervision: learners reflect together.
        CoReflection => "co_reflection",
        /// The supervisor observes the learner's practice.
        Observation => "observation",
    }
}

text_enum! {
    /// Where a logged supervision session stands with the supervisor.
    SupervisionStatus {
        /// Logged by the learner, waiting for the supervisor.
        Pending => "pending",
        /// Confirmed by the supervisor: it counts. Final: it cannot be declined afterwards.
        Verified => "verified",
        /// The supervisor does not recognise it, with a reason the learner sees; it never
        /// counts. The supervisor may still verify it later if they change their mind.
        Declined => "declined",
    }
}

/// A supervision session that the supervisor has verified; only these count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedSupervision {
    /// The day it took place.
    pub occurred_on: NaiveDate,
    /// How long it lasted.
    pub duration_minutes: u32,
    /// How it was held.
    pub format: SupervisionFormat,
}
