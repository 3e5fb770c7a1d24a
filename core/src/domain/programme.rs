//! Programme definitions: the modules of a programme version and its certification rule.
//!
//! The seeded programmes live as TOML data files (`core/programmes/*.toml`) that an
//! organisation can edit; `ProgrammeDefinition::from_toml` reads and checks one.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::domain::input::{Checks, NAME_MAX};
use crate::error::{Error, FieldError};

/// The longest a programme code may be.
pub const CODE_MAX: usize = 50;

use super::eligibility::CertificationRule;
use super::records::text_enum;

text_enum! {
    /// How a module is assessed.
    AssessmentKind {
        /// Judged by the tutor from taking part in sessions.
        Participation => "participation",
        /// A written piece, such as the recovery story essay.
        Written => "written",
        /// A portfolio of evidence, possibly from practice.
        Portfolio => "portfolio",
        /// Observed practice.
        Observation => "observation",
        /// A presentation or discussion.
        Presentation => "presentation",
    }
}

/// One module of a programme version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModuleSpec {
    /// Short stable code, unique within the programme, e.g. `M1`.
    pub code: String,
    /// Title as learners see it.
    pub title: String,
    /// Core modules are required by the usual rule; optional ones count towards a minimum.
    pub core: bool,
    /// Planned learning hours.
    pub planned_hours: u32,
    /// What a learner can do after the module.
    #[serde(default)]
    pub learning_outcomes: Vec<String>,
    /// How the module is assessed.
    pub assessment_kind: AssessmentKind,
    /// Credit points for accredited awards (SCQF credits, for example).
    #[serde(default)]
    pub credit_value: Option<u32>,
    /// Level for accredited awards (SCQF level, for example).
    #[serde(default)]
    pub level: Option<u32>,
    /// Whether an assessment needs a second sign-off (internal verification) to count.
    #[serde(default)]
    pub requires_verification: bool,
}

/// A programme as published: its identity, one version's modules and its certification rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProgrammeDefinition {
    /// Stable programme code, e.g. `P2P`.
    pub code: String,
    /// Programme title.
    pub title: String,
    /// What the programme is, in a sentence or two.
    pub description: String,
    /// Who awards the certificate, as printed on it.
    pub awarding_body: String,
    /// Version number of this definition; published versions never change.
    pub version: u32,
    /// Total credit points, for accredited awards.
    #[serde(default)]
    pub credits: Option<u32>,
    /// Award level (SCQF level, for example).
    #[serde(default)]
    pub level: Option<u32>,
    /// Modules in teaching order.
    pub modules: Vec<ModuleSpec>,
    /// What a learner needs for the certificate.
    pub rule: CertificationRule,
}

/// Why a programme definition was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProgrammeDefinitionError {
    /// The TOML could not be read.
    #[error("the programme file is not valid: {0}")]
    Syntax(String),
    /// The definition reads but does not make sense.
    #[error("programme {code}: {reason}")]
    Invalid {
        /// The programme code, as far as it was read.
        code: String,
        /// What is wrong.
        reason: String,
    },
}

impl ProgrammeDefinition {
    /// Reads and checks a definition from TOML.
    pub fn from_toml(text: &str) -> Result<Self, ProgrammeDefinitionError> {
        let definition: ProgrammeDefinition =
            toml::from_str(text).map_err(|e| ProgrammeDefinitionError::Syntax(e.to_string()))?;
        definition.check()?;
        Ok(definition)
    }

    /// Checks that codes are unique and present and that the rule can be met by the modules;
    /// the first fault found, with the field it is in.
    pub fn check(&self) -> Result<(), ProgrammeDefinitionError> {
        match self.field_errors().into_iter().next() {
            None => Ok(()),
            Some(fault) => Err(ProgrammeDefinitionError::Invalid {
                code: self.code.clone(),
                reason: format!("{}: {}", fault.field, fault.message),
            }),
        }
    }

    /// Every fault of the definition, each naming its field as the definition spells it
    /// (`rule.min_attendance_percent`, `modules[2].code`), in plain words.
    pub fn field_errors(&self) -> Vec<FieldError> {
        let mut checks = Checks::new();
        let code_ok = !self.code.is_empty()
            && self.code.chars().count() <= CODE_MAX
            && self
                .code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        checks.require(
            code_ok,
            "code",
            "must be 1 to 50 letters A to Z, digits, dashes or underscores (it goes into certificate numbers and addresses)",
        );
        checks
            .name("title", &self.title, NAME_MAX)
            .name("awarding_body", &self.awarding_body, NAME_MAX);
        checks.require(
            !self.description.trim().is_empty(),
            "description",
            "must say what the programme is",
        );
        checks.require(self.version >= 1, "version", "must be 1 or higher");
        checks.require(
            !self.modules.is_empty(),
            "modules",
            "a programme needs at least one module",
        );
        let mut codes = BTreeSet::new();
        for (i, module) in self.modules.iter().enumerate() {
            if module.code.trim().is_empty() {
                checks.fail(format!("modules[{i}].code"), "every module needs a code");
            } else if !codes.insert(module.code.as_str()) {
                checks.fail(
                    format!("modules[{i}].code"),
                    format!("module code {} appears twice", module.code),
                );
            }
            checks.name(&format!("modules[{i}].title"), &module.title, NAME_MAX);
        }
        let rule = &self.rule;
        if let Some(percent) = rule.min_attendance_percent {
            checks.require(
                percent <= 100,
                "rule.min_attendance_percent",
                "must be a percentage from 0 to 100",
            );
        }
        let optional = self.modules.iter().filter(|m| !m.core).count();
        if rule.min_optional_modules as usize > optional {
            checks.fail(
                "rule.min_optional_modules",
                format!(
                    "the rule asks for {} optional modules but the programme has {optional}",
                    rule.min_optional_modules
                ),
            );
        }
        checks.require(
            rule.validity_months != Some(0),
            "rule.validity_months",
            "a validity of 0 months would expire on the day of issue; leave it out for certificates that do not expire",
        );
        if let Some(renewal) = &rule.renewal {
            checks.require(
                rule.validity_months.is_some(),
                "rule.renewal",
                "renewal only makes sense for a certificate that expires: set rule.validity_months",
            );
            checks.require(
                renewal.period_months > 0,
                "rule.renewal.period_months",
                "a renewal period of 0 months counts nothing",
            );
            let by_category: u32 = renewal.categories.iter().map(|c| c.hours).sum();
            if by_category > renewal.min_hours {
                checks.fail(
                    "rule.renewal.categories",
                    format!(
                        "the category minimums add up to {by_category} hours, more than the {} hours asked for in all",
                        renewal.min_hours
                    ),
                );
            }
        }
        match checks.finish() {
            Ok(()) => Vec::new(),
            Err(Error::Invalid(faults)) => faults,
            Err(_) => Vec::new(),
        }
    }

    /// The core modules, in order.
    pub fn core_modules(&self) -> impl Iterator<Item = &ModuleSpec> {
        self.modules.iter().filter(|m| m.core)
    }
}
