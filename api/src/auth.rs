//! Who is calling, and what they may do.
//!
//! People send `Authorization: Bearer <token>`; partner systems send `X-Api-Key: <key>`. Both
//! secrets are stored hashed, and both are looked up on every request, so a token or key that
//! is revoked (or a token that expires) is refused from the very next request. What a caller
//! may see is decided here, in one place: routes ask, and get back 403 (may see it, may not do
//! this) or 404 (may not know it exists).

use chrono::Duration;
use peertrack_core::store::{self, access, cohorts, people, placements, DbConnection};
use poem::Request;
use poem_openapi::auth::{ApiKey, Bearer};
use poem_openapi::SecurityScheme;

use crate::problem::ApiError;
use crate::server::AppState;

/// A signed-in person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// Their id.
    pub person_id: String,
    /// Whether they administer this Peertrack.
    pub is_admin: bool,
    /// The id of the bearer token they called with, so that signing out revokes just that one.
    pub token_id: String,
}

/// A partner organisation's system, by its API key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    /// The organisation.
    pub organisation_id: String,
    /// The key used.
    pub api_key_id: String,
}

/// A person's bearer token, from `peertrack admin token` or a sign-in link.
#[derive(SecurityScheme)]
#[oai(ty = "bearer", checker = "person_for_bearer")]
pub struct PersonToken(pub Caller);

/// A partner organisation's API key.
#[derive(SecurityScheme)]
#[oai(
    ty = "api_key",
    key_name = "X-Api-Key",
    key_in = "header",
    checker = "partner_for_key"
)]
pub struct PartnerKey(pub Partner);

async fn person_for_bearer(request: &Request, bearer: Bearer) -> Option<Caller> {
    let state = request.data::<AppState>()?.clone();
    let now = store::stored(state.now());
    state
        .db
        .read_async(move |conn| {
            let Some(token) =
                access::person_for_token(conn, &bearer.token, access::TokenPurpose::Access, now)?
            else {
                return Ok(None);
            };
            let person = people::get(conn, &token.person_id)?;
            Ok((person.erased_at.is_none()).then_some(Caller {
                person_id: person.id,
                is_admin: person.is_admin,
                token_id: token.id,
            }))
        })
        .await
        .ok()
        .flatten()
}

async fn partner_for_key(request: &Request, key: ApiKey) -> Option<Partner> {
    let state = request.data::<AppState>()?.clone();
    state
        .db
        .read_async(move |conn| {
            Ok(access::api_key(conn, &key.key)?.map(|k| Partner {
                organisation_id: k.organisation_id,
                api_key_id: k.id,
            }))
        })
        .await
        .ok()
        .flatten()
}

/// How long a token from `peertrack admin token` lasts unless told otherwise.
pub const DEFAULT_TOKEN_DAYS: i64 = 30;

/// Issues a bearer token for a person; returns the secret.
pub fn issue_token(
    conn: &mut DbConnection,
    person_id: &str,
    days: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> peertrack_core::Result<String> {
    let expires = store::stored(now + Duration::days(days));
    let (secret, _) = access::create_token(
        conn,
        person_id,
        access::TokenPurpose::Access,
        expires,
        store::stored(now),
    )?;
    Ok(secret)
}

/// What a caller is to a cohort.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CohortRole {
    /// An administrator.
    Admin,
    /// One of its tutors.
    Tutor,
    /// One of its learners.
    Learner,
}

impl Caller {
    /// Only administrators may go on.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin {
            Ok(())
        } else {
            Err(ApiError::forbidden("Only an administrator can do this."))
        }
    }

    /// The caller's role in a cohort; 404 when they have none (they may not know it exists).
    pub fn cohort_role(&self, conn: &mut DbConnection, cohort_id: &str) -> Result<CohortRole, ApiError> {
        cohorts::get(conn, cohort_id)?;
        if self.is_admin {
            return Ok(CohortRole::Admin);
        }
        if cohorts::is_tutor(conn, cohort_id, &self.person_id)? {
            return Ok(CohortRole::Tutor);
        }
        if cohorts::enrolment_of(conn, cohort_id, &self.person_id)?.is_some() {
            return Ok(CohortRole::Learner);
        }
        Err(ApiError::not_found("Cohort"))
    }

    /// Admin or tutor of the cohort may go on; a learner of it gets 403, anyone else 404.
    pub fn require_cohort_staff(
        &self,
        conn: &mut DbConnection,
        cohort_id: &str,
    ) -> Result<CohortRole, ApiError> {
        match self.cohort_role(conn, cohort_id)? {
            CohortRole::Learner => Err(ApiError::forbidden(
                "Only the cohort's tutors or an administrator can do this.",
            )),
            role => Ok(role),
        }
    }

    /// May the caller read this person's training records? Themselves, admins, their tutors
    /// and their supervisors may; anyone else gets 404.
    pub fn require_sight_of_person(&self, conn: &mut DbConnection, person_id: &str) -> Result<(), ApiError> {
        people::get(conn, person_id)?;
        if self.is_admin
            || self.person_id == person_id
            || cohorts::tutors_learner(conn, &self.person_id, person_id)?
            || placements::supervises(conn, &self.person_id, person_id)?
        {
            return Ok(());
        }
        Err(ApiError::not_found("Person"))
    }
}
