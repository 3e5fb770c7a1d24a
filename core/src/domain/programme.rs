//! Programme definitions: the modules of a programme version and its certification rule.
//!
//! The seeded programmes live as TOML data files (`core/programmes/*.toml`) that an
//! organisation can edit; `ProgrammeDefinition::from_toml` reads and checks one.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

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

    /// Checks that codes are unique and present and that the rule can be met by the modules.
    pub fn check(&self) -> Result<(), ProgrammeDefinitionError> {
        let invalid = |reason: String| ProgrammeDefinitionError::Invalid {
            code: self.code.clone(),
            reason,
        };
        if self.code.trim().is_empty() || self.title.trim().is_empty() {
            return Err(invalid("a programme needs a code and a title".into()));
        }
        if self.modules.is_empty() {
            return Err(invalid("a programme needs at least one module".into()));
        }
        let mut codes = BTreeSet::new();
        for module in &self.modules {
            if module.code.trim().is_empty() {
                return Err(invalid("every module needs a code".into()));
            }
            if !codes.insert(module.code.as_str()) {
                return Err(invalid(format!("module code {} appears twice", module.code)));
            }
        }
        let optional = self.modules.iter().filter(|m| !m.core).count();
        if self.rule.min_optional_modules as usize > optional {
            return Err(invalid(format!(
                "the rule asks for {} optional modules but the programme has {optional}",
                self.rule.min_optional_modules
            )));
        }
        self.rule.check().map_err(invalid)
    }

    /// The core modules, in order.
    pub fn core_modules(&self) -> impl Iterator<Item = &ModuleSpec> {
        self.modules.iter().filter(|m| m.core)
    }
}
