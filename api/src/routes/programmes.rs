//! `GET /v1/programmes` and `GET /v1/programmes/{code}`.

use chrono::{DateTime, Utc};
use peertrack_core::domain::{CertificationRule, ProgrammeDefinition};
use peertrack_core::service::programmes as service;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::Tag;
use crate::auth::PersonToken;
use crate::body::JsonBody;
use crate::problem::ApiError;
use crate::server::AppState;
use crate::types::Text;

/// A programme at its current version.
#[derive(Debug, Object)]
pub struct ProgrammeSummary {
    /// Stable code, e.g. `P2P`.
    pub code: String,
    /// Title.
    pub title: String,
    /// Current version.
    pub version: u32,
    /// Who awards the certificate.
    pub awarding_body: String,
    /// Total credits, for accredited awards.
    pub credits: Option<u32>,
    /// Award level, for accredited awards.
    pub level: Option<u32>,
}

/// Programmes.
#[derive(Debug, Object)]
pub struct ProgrammeList {
    /// The programmes.
    pub items: Vec<ProgrammeSummary>,
    /// Always null: every programme fits on one page.
    pub next_cursor: Option<String>,
}

/// A module of a programme.
#[derive(Debug, Object)]
pub struct Module {
    /// Code, unique in the programme.
    pub code: String,
    /// Title.
    pub title: String,
    /// Whether the usual rule requires it.
    pub core: bool,
    /// Planned learning hours.
    pub planned_hours: u32,
    /// What a learner can do afterwards.
    pub learning_outcomes: Vec<String>,
    /// How it is assessed.
    pub assessment_kind: String,
    /// Credit points, for accredited awards.
    pub credit_value: Option<u32>,
    /// Level, for accredited awards.
    pub level: Option<u32>,
    /// Whether an assessment needs internal verification to count.
    pub requires_verification: bool,
}

/// Verified supervision hours needed in one format.
#[derive(Debug, Object)]
pub struct FormatHours {
    /// `individual`, `group`, `co_reflection` or `observation`.
    pub format: String,
    /// Hours.
    pub hours: u32,
}

/// Continuing development hours needed in one category.
#[derive(Debug, Object)]
pub struct CategoryHours {
    /// The category, e.g. `ethics`.
    pub category: String,
    /// Hours.
    pub hours: u32,
}

/// How a certificate is renewed.
#[derive(Debug, Object)]
pub struct Renewal {
    /// Development counts from this many months before expiry.
    pub period_months: u32,
    /// Hours needed in all.
    pub min_hours: u32,
    /// Hours needed per category.
    pub categories: Vec<CategoryHours>,
}

/// What a learner needs for the certificate.
#[derive(Debug, Object)]
pub struct Rule {
    /// Minimum attendance, percent of sessions held since enrolment (excused ones aside).
    pub min_attendance_percent: Option<u8>,
    /// Whether every core module must be achieved.
    pub all_core_modules: bool,
    /// Optional modules needed.
    pub min_optional_modules: u32,
    /// Verified supervision sessions needed.
    pub min_supervision_sessions: Option<u32>,
    /// Verified supervision hours needed.
    pub min_supervision_hours: Option<u32>,
    /// Verified supervision hours needed per format.
    pub min_supervision_hours_by_format: Vec<FormatHours>,
    /// Verified practice hours needed.
    pub min_practice_hours: Option<u32>,
    /// How long a certificate lasts; null when it does not expire.
    pub validity_months: Option<u32>,
    /// How it is renewed, when it expires.
    pub renewal: Option<Renewal>,
}

/// A programme with its modules and rule.
#[derive(Debug, Object)]
pub struct Programme {
    /// Stable code.
    pub code: String,
    /// Title.
    pub title: String,
    /// What it is.
    pub description: String,
    /// Who awards the certificate.
    pub awarding_body: String,
    /// Current version.
    pub version: u32,
    /// Total credits.
    pub credits: Option<u32>,
    /// Award level.
    pub level: Option<u32>,
    /// Modules in teaching order.
    pub modules: Vec<Module>,
    /// The certification rule.
    pub rule: Rule,
}

impl From<&CertificationRule> for Rule {
    fn from(rule: &CertificationRule) -> Self {
        Rule {
            min_attendance_percent: rule.min_attendance_percent,
            all_core_modules: rule.all_core_modules,
            min_optional_modules: rule.min_optional_modules,
            min_supervision_sessions: rule.min_supervision_sessions,
            min_supervision_hours: rule.min_supervision_hours,
            min_supervision_hours_by_format: rule
                .min_supervision_hours_by_format
                .iter()
                .map(|m| FormatHours {
                    format: m.format.as_str().into(),
                    hours: m.hours,
                })
                .collect(),
            min_practice_hours: rule.min_practice_hours,
            validity_months: rule.validity_months,
            renewal: rule.renewal.as_ref().map(|r| Renewal {
                period_months: r.period_months,
                min_hours: r.min_hours,
                categories: r
                    .categories
                    .iter()
                    .map(|c| CategoryHours {
                        category: c.category.clone(),
                        hours: c.hours,
                    })
                    .collect(),
            }),
        }
    }
}

impl From<&ProgrammeDefinition> for Programme {
    fn from(d: &ProgrammeDefinition) -> Self {
        Programme {
            code: d.code.clone(),
            title: d.title.clone(),
            description: d.description.clone(),
            awarding_body: d.awarding_body.clone(),
            version: d.version,
            credits: d.credits,
            level: d.level,
            modules: d
                .modules
                .iter()
                .map(|m| Module {
                    code: m.code.clone(),
                    title: m.title.clone(),
                    core: m.core,
                    planned_hours: m.planned_hours,
                    learning_outcomes: m.learning_outcomes.clone(),
                    assessment_kind: m.assessment_kind.as_str().into(),
                    credit_value: m.credit_value,
                    level: m.level,
                    requires_verification: m.requires_verification,
                })
                .collect(),
            rule: Rule::from(&d.rule),
        }
    }
}

/// The published versions of a programme.
#[derive(Debug, Object)]
pub struct ProgrammeVersionList {
    /// Every published version, newest first.
    pub items: Vec<PublishedVersion>,
    /// Always null: every version fits on one page.
    pub next_cursor: Option<String>,
}

/// One published version of a programme.
#[derive(Debug, Object)]
pub struct PublishedVersion {
    /// When it was published.
    pub published_at: DateTime<Utc>,
    /// The definition as published.
    pub programme: Programme,
}

/// Answers of `POST /v1/programmes`.
#[derive(Debug, ApiResponse)]
pub enum ProgrammePublished {
    /// Published: a new programme, or a new version of one. New cohorts take it; cohorts
    /// already running keep the version they started with.
    #[oai(status = 201)]
    Created(Json<Programme>),
}

/// Programme operations.
pub struct ProgrammesApi;

#[OpenApi(tag = "Tag::Programmes")]
impl ProgrammesApi {
    /// List programmes
    ///
    /// Every programme at its current published version. Any signed-in person may read them.
    #[oai(path = "/v1/programmes", method = "get")]
    async fn list(&self, state: Data<&AppState>, auth: PersonToken) -> Result<Json<ProgrammeList>, ApiError> {
        let versions = state
            .db
            .read_async(move |conn| service::list(conn, &auth.0))
            .await?;
        let items = versions
            .iter()
            .map(|v| ProgrammeSummary {
                code: v.definition.code.clone(),
                title: v.definition.title.clone(),
                version: v.definition.version,
                awarding_body: v.definition.awarding_body.clone(),
                credits: v.definition.credits,
                level: v.definition.level,
            })
            .collect();
        Ok(Json(ProgrammeList {
            items,
            next_cursor: None,
        }))
    }

    /// Get a programme
    ///
    /// The current version of a programme with its modules and certification rule. The seeded
    /// Peer2Peer programme has code `P2P`; the PDA in Mental Health Peer Support `PDA-MHPS`.
    #[oai(path = "/v1/programmes/:code", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        /// Programme code, e.g. `P2P`.
        code: Path<Text<0, 50>>,
    ) -> Result<Json<Programme>, ApiError> {
        let version = state
            .db
            .read_async(move |conn| service::current(conn, &auth.0, &code.0))
            .await?;
        Ok(Json(Programme::from(&version.definition)))
    }

    /// Publish a programme
    ///
    /// An administrator publishes a programme definition with the same fields as
    /// `GET /v1/programmes/{code}` answers (and as the programme files in
    /// `core/programmes/*.toml`): a new code is a new programme; an existing code needs a
    /// `version` higher than the one published now. A definition that does not make sense is
    /// refused with 422 naming each field at fault, e.g. `rule.min_attendance_percent`.
    #[oai(path = "/v1/programmes", method = "post")]
    async fn publish(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        body: JsonBody<serde_json::Value>,
    ) -> Result<ProgrammePublished, ApiError> {
        let now = state.now();
        let version = state
            .db
            .write_async(move |conn| service::publish_json(conn, &auth.0, body.0, now))
            .await?
            .0;
        Ok(ProgrammePublished::Created(Json(Programme::from(
            &version.definition,
        ))))
    }

    /// Versions of a programme
    ///
    /// Every published version of a programme, newest first, each with its modules and rule.
    /// A cohort keeps the version it started with.
    #[oai(path = "/v1/programmes/:code/versions", method = "get")]
    async fn versions(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        /// Programme code, e.g. `P2P`.
        code: Path<Text<0, 50>>,
    ) -> Result<Json<ProgrammeVersionList>, ApiError> {
        let versions = state
            .db
            .read_async(move |conn| service::versions(conn, &auth.0, &code.0))
            .await?;
        Ok(Json(ProgrammeVersionList {
            items: versions
                .iter()
                .map(|v| PublishedVersion {
                    published_at: v.published_at.and_utc(),
                    programme: Programme::from(&v.definition),
                })
                .collect(),
            next_cursor: None,
        }))
    }
}
