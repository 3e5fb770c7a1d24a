//! Certification rules and the eligibility of one learner against one rule.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::attendance::AttendanceRate;
use super::certificate::RenewalRule;
use super::programme::ModuleSpec;
use super::records::{SupervisionFormat, VerifiedSupervision};

/// A minimum of verified supervision hours in one format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatMinimum {
    /// The format the hours must be in.
    pub format: SupervisionFormat,
    /// Whole hours needed.
    pub hours: u32,
}

/// What a learner needs for a programme's certificate, and how long it lasts.
///
/// Every field is optional so that the schemes in use (Peer2Peer, the PDA, IC&RC, state peer
/// specialist certificates) can each be written down without code changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificationRule {
    /// Minimum share of counted sessions attended, in percent.
    #[serde(default)]
    pub min_attendance_percent: Option<u8>,
    /// Whether every core module must be achieved.
    #[serde(default = "default_true")]
    pub all_core_modules: bool,
    /// How many optional modules must be achieved.
    #[serde(default)]
    pub min_optional_modules: u32,
    /// Minimum number of verified supervision sessions.
    #[serde(default)]
    pub min_supervision_sessions: Option<u32>,
    /// Minimum verified supervision, in whole hours.
    #[serde(default)]
    pub min_supervision_hours: Option<u32>,
    /// Minimum verified supervision hours in particular formats.
    #[serde(default)]
    pub min_supervision_hours_by_format: Vec<FormatMinimum>,
    /// Minimum verified practice hours.
    #[serde(default)]
    pub min_practice_hours: Option<u32>,
    /// How long a certificate lasts, in months; `None` means it does not expire.
    #[serde(default)]
    pub validity_months: Option<u32>,
    /// How a certificate is renewed by continuing development, when it expires.
    #[serde(default)]
    pub renewal: Option<RenewalRule>,
}

fn default_true() -> bool {
    true
}

impl Default for CertificationRule {
    fn default() -> Self {
        CertificationRule {
            min_attendance_percent: None,
            all_core_modules: true,
            min_optional_modules: 0,
            min_supervision_sessions: None,
            min_supervision_hours: None,
            min_supervision_hours_by_format: Vec::new(),
            min_practice_hours: None,
            validity_months: None,
            renewal: None,
        }
    }
}

/// Which requirement a line of an eligibility answer is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RequirementKind {
    /// Enrolled in a cohort of the programme at all.
    Enrolment,
    /// Share of sessions attended.
    Attendance,
    /// Every core module achieved.
    CoreModules,
    /// Enough optional modules achieved.
    OptionalModules,
    /// Enough verified supervision sessions.
    SupervisionSessions,
    /// Enough verified supervision hours.
    SupervisionHours,
    /// Enough verified supervision hours in one format.
    SupervisionHoursInFormat(SupervisionFormat),
    /// Enough verified practice hours.
    PracticeHours,
    /// Enough continuing development hours in the renewal period.
    CpdHours,
    /// Enough continuing development hours in one category.
    CpdHoursInCategory(String),
}

impl RequirementKind {
    /// The stable code used in the API, e.g. `supervision_sessions` or `cpd_hours:ethics`.
    pub fn code(&self) -> String {
        match self {
            RequirementKind::Enrolment => "enrolment".into(),
            RequirementKind::Attendance => "attendance".into(),
            RequirementKind::CoreModules => "core_modules".into(),
            RequirementKind::OptionalModules => "optional_modules".into(),
            RequirementKind::SupervisionSessions => "supervision_sessions".into(),
            RequirementKind::SupervisionHours => "supervision_hours".into(),
            RequirementKind::SupervisionHoursInFormat(format) => {
                format!("supervision_hours:{format}")
            }
            RequirementKind::PracticeHours => "practice_hours".into(),
            RequirementKind::CpdHours => "cpd_hours".into(),
            RequirementKind::CpdHoursInCategory(category) => format!("cpd_hours:{category}"),
        }
    }
}

/// One requirement with what is needed, what there is, and what that means in plain words.
#[derive(Debug, Clone, PartialEq)]
pub struct Requirement {
    /// Which requirement.
    pub kind: RequirementKind,
    /// What is needed (percent, modules, sessions or hours).
    pub required: f64,
    /// What the learner has.
    pub actual: f64,
    /// Whether it is met.
    pub met: bool,
    /// A sentence a peer worker understands, saying what is done or what is still missing.
    pub explanation: String,
}

/// The answer to "may this learner be certified?".
#[derive(Debug, Clone, PartialEq)]
pub struct Eligibility {
    /// True when every requirement is met.
    pub eligible: bool,
    /// Every requirement of the rule, met or not.
    pub requirements: Vec<Requirement>,
}

impl Eligibility {
    /// The requirements still unmet.
    pub fn unmet(&self) -> impl Iterator<Item = &Requirement> {
        self.requirements.iter().filter(|r| !r.met)
    }

    /// A learner who left the cohort on `left_on` gets no certificate from it, whatever else
    /// they did there; the answer says so first, and that what they achieved is not lost.
    pub fn refuse_after_withdrawal(&mut self, left_on: chrono::NaiveDate, programme_title: &str) {
        self.eligible = false;
        self.requirements.insert(
            0,
            Requirement {
                kind: RequirementKind::Enrolment,
                required: 1.0,
                actual: 0.0,
                met: false,
                explanation: format!(
                    "You left this cohort on {}, so no certificate is issued from it. The modules \
                     you achieved still count if you join a later {programme_title} cohort.",
                    super::local_time::day_month_year(left_on)
                ),
            },
        );
    }
}

/// Everything about one learner that a certification rule looks at.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LearnerRecord {
    /// Attendance since enrolment.
    pub attendance: AttendanceRate,
    /// Codes of modules achieved (with second sign-off where the module needs it).
    pub achieved_modules: BTreeSet<String>,
    /// Verified supervision during placements.
    pub supervision: Vec<VerifiedSupervision>,
    /// Verified practice, in minutes.
    pub verified_practice_minutes: u32,
}

/// "1 session" / "3 sessions".
pub(crate) fn plural(count: u64, one: &str, many: &str) -> String {
    if count == 1 {
        format!("{count} {one}")
    } else {
        format!("{count} {many}")
    }
}

/// Which way to round minutes to tenths of an hour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rounding {
    /// For what someone has: 119 minutes are 1.9 hours, never the 2 hours they fall short of.
    Down,
    /// For what is still needed: 1 minute is 0.1 hours, never "0.0 hours more".
    Up,
}

/// Minutes as hours for people, to a tenth: "6 hours", "1.5 hours".
pub(crate) fn hours_text(minutes: u64, rounding: Rounding) -> String {
    // A tenth of an hour is 6 minutes.
    let tenths = match rounding {
        Rounding::Down => minutes / 6,
        Rounding::Up => minutes.div_ceil(6),
    };
    if tenths % 10 == 0 {
        plural(tenths / 10, "hour", "hours")
    } else {
        format!("{}.{} hours", tenths / 10, tenths % 10)
    }
}

/// Minutes as hours to a tenth, rounded down so that `actual >= required` exactly when met.
pub(crate) fn hours_value(minutes: u64) -> f64 {
    (minutes / 6) as f64 / 10.0
}

/// Builds the requirement line for "at least `required_minutes` of something verified".
pub(crate) fn hours_requirement(
    kind: RequirementKind,
    what: &str,
    required_hours: u32,
    actual_minutes: u64,
) -> Requirement {
    let required_minutes = u64::from(required_hours) * 60;
    let met = actual_minutes >= required_minutes;
    let explanation = if met {
        format!(
            "{} of {what} recorded; {} needed. Done.",
            hours_text(actual_minutes, Rounding::Down),
            hours_text(required_minutes, Rounding::Down)
        )
    } else {
        format!(
            "{} more of {what} needed ({} of {} so far).",
            hours_text(required_minutes - actual_minutes, Rounding::Up),
            hours_text(actual_minutes, Rounding::Down),
            hours_text(required_minutes, Rounding::Down)
        )
    };
    Requirement {
        kind,
        required: f64::from(required_hours),
        actual: hours_value(actual_minutes),
        met,
        explanation,
    }
}

impl CertificationRule {
    /// Checks that the rule's numbers make sense on their own.
    pub fn check(&self) -> Result<(), String> {
        if let Some(percent) = self.min_attendance_percent {
            if percent > 100 {
                return Err(format!("attendance of {percent}% cannot be reached"));
            }
        }
        if self.validity_months == Some(0) {
            return Err("a validity of 0 months would expire on the day of issue".into());
        }
        if let Some(renewal) = &self.renewal {
            if self.validity_months.is_none() {
                return Err("renewal only makes sense for a certificate that expires".into());
            }
            renewal.check()?;
        }
        Ok(())
    }

    /// Evaluates a learner's record against this rule, listing every requirement.
    pub fn evaluate(&self, modules: &[ModuleSpec], record: &LearnerRecord) -> Eligibility {
        let mut requirements = Vec::new();

        if let Some(percent) = self.min_attendance_percent {
            requirements.push(attendance_requirement(percent, &record.attendance));
        }
        if self.all_core_modules {
            requirements.push(core_modules_requirement(modules, &record.achieved_modules));
        }
        if self.min_optional_modules > 0 {
            let achieved = modules
                .iter()
                .filter(|m| !m.core && record.achieved_modules.contains(&m.code))
                .count() as u64;
            let required = u64::from(self.min_optional_modules);
            let met = achieved >= required;
            let explanation = if met {
                format!(
                    "{} achieved. Done.",
                    plural(achieved, "optional module", "optional modules")
                )
            } else {
                format!(
                    "{} more needed ({achieved} of {required} achieved so far).",
                    plural(required - achieved, "optional module", "optional modules")
                )
            };
            requirements.push(Requirement {
                kind: RequirementKind::OptionalModules,
                required: required as f64,
                actual: achieved as f64,
                met,
                explanation,
            });
        }
        if let Some(required) = self.min_supervision_sessions {
            let actual = record.supervision.len() as u64;
            let required = u64::from(required);
            let met = actual >= required;
            let explanation = if met {
                format!(
                    "{} recorded. Done.",
                    plural(
                        actual,
                        "verified supervision session",
                        "verified supervision sessions"
                    )
                )
            } else {
                format!(
                    "{} needed ({actual} of {required} so far). Only sessions your supervisor has verified count.",
                    plural(
                        required - actual,
                        "more verified supervision session is",
                        "more verified supervision sessions are"
                    )
                )
            };
            requirements.push(Requirement {
                kind: RequirementKind::SupervisionSessions,
                required: required as f64,
                actual: actual as f64,
                met,
                explanation,
            });
        }
        if let Some(hours) = self.min_supervision_hours {
            let minutes = record
                .supervision
                .iter()
                .map(|s| u64::from(s.duration_minutes))
                .sum();
            requirements.push(hours_requirement(
                RequirementKind::SupervisionHours,
                "verified supervision",
                hours,
                minutes,
            ));
        }
        for minimum in &self.min_supervision_hours_by_format {
            let minutes = record
                .supervision
                .iter()
                .filter(|s| s.format == minimum.format)
                .map(|s| u64::from(s.duration_minutes))
                .sum();
            let what = format!("verified {} supervision", format_words(minimum.format));
            requirements.push(hours_requirement(
                RequirementKind::SupervisionHoursInFormat(minimum.format),
                &what,
                minimum.hours,
                minutes,
            ));
        }
        if let Some(hours) = self.min_practice_hours {
            requirements.push(hours_requirement(
                RequirementKind::PracticeHours,
                "verified practice",
                hours,
                u64::from(record.verified_practice_minutes),
            ));
        }

        Eligibility {
            eligible: requirements.iter().all(|r| r.met),
            requirements,
        }
    }

    /// Only the requirements a learner has not met yet.
    pub fn unmet_requirements(&self, modules: &[ModuleSpec], record: &LearnerRecord) -> Vec<Requirement> {
        self.evaluate(modules, record)
            .requirements
            .into_iter()
            .filter(|r| !r.met)
            .collect()
    }
}

fn format_words(format: SupervisionFormat) -> &'static str {
    match format {
        SupervisionFormat::Individual => "individual",
        SupervisionFormat::Group => "group",
        SupervisionFormat::CoReflection => "co-reflection",
        SupervisionFormat::Observation => "observed-practice",
    }
}

fn attendance_requirement(percent: u8, rate: &AttendanceRate) -> Requirement {
    let met = rate.meets(percent);
    // Rounded down, so that a rate just short of the minimum never reads as reaching it.
    let permille = rate.permille_floor().unwrap_or(1000);
    let so_far = format!(
        "Attended {} of {} ({}%)",
        rate.attended,
        plural(u64::from(rate.counted), "session", "sessions"),
        permille / 10
    );
    let mut explanation = if rate.counted == 0 {
        "No sessions have been held since enrolment yet, so attendance is not holding anything up."
            .to_string()
    } else if met {
        format!("{so_far}; at least {percent}% is needed. Done.")
    } else {
        let short = rate.sessions_short_of(percent);
        if short == u32::MAX {
            format!(
                "{so_far}; {percent}% is needed, which can no longer be reached by attending more sessions."
            )
        } else {
            format!(
                "{so_far}; at least {percent}% is needed, so attending the next {} would get there.",
                plural(u64::from(short), "session", "sessions")
            )
        }
    };
    if rate.unrecorded > 0 {
        explanation.push_str(&format!(
            " {} no register entry yet; a tutor can complete the register.",
            plural(u64::from(rate.unrecorded), "session has", "sessions have")
        ));
    }
    Requirement {
        kind: RequirementKind::Attendance,
        required: f64::from(percent),
        actual: f64::from(permille) / 10.0,
        met,
        explanation,
    }
}

fn core_modules_requirement(modules: &[ModuleSpec], achieved: &BTreeSet<String>) -> Requirement {
    let core: Vec<&ModuleSpec> = modules.iter().filter(|m| m.core).collect();
    let missing: Vec<&ModuleSpec> = core
        .iter()
        .copied()
        .filter(|m| !achieved.contains(&m.code))
        .collect();
    let done = core.len() - missing.len();
    let explanation = if missing.is_empty() {
        format!(
            "All {} achieved. Done.",
            plural(core.len() as u64, "core module", "core modules")
        )
    } else {
        let titles: Vec<&str> = missing.iter().map(|m| m.title.as_str()).collect();
        format!(
            "{done} of {} achieved. Still to achieve: {}.",
            plural(core.len() as u64, "core module", "core modules"),
            titles.join("; ")
        )
    };
    Requirement {
        kind: RequirementKind::CoreModules,
        required: core.len() as f64,
        actual: done as f64,
        met: missing.is_empty(),
        explanation,
    }
}
