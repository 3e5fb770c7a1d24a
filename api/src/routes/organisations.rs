//! `POST /v1/organisations` and `GET /v1/organisations`.

use peertrack_core::store::{self, audit, organisations};
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::paging;
use super::Tag;
use crate::auth::PersonToken;
use crate::problem::ApiError;
use crate::server::AppState;
use crate::types::Text;

/// A new organisation.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewOrganisation {
    /// Its name, e.g. "Penumbra" (unique).
    #[oai(validator(min_length = 1, max_length = 200))]
    pub name: Text,
}

/// An organisation.
#[derive(Debug, Object)]
pub struct Organisation {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// A page of organisations.
#[derive(Debug, Object)]
pub struct OrganisationList {
    /// Organisations by name.
    pub items: Vec<Organisation>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// Answers of `POST /v1/organisations`.
#[derive(Debug, ApiResponse)]
pub enum Created {
    /// The organisation was added.
    #[oai(status = 201)]
    Created(Json<Organisation>),
}

/// Organisation operations.
pub struct OrganisationsApi;

#[OpenApi(tag = "Tag::Organisations")]
impl OrganisationsApi {
    /// Add an organisation
    ///
    /// Administrators add the organisations that deliver courses, host placements or look up
    /// the register. Names are unique: a second organisation with the same name gets 409.
    #[oai(path = "/v1/organisations", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        body: Json<NewOrganisation>,
    ) -> Result<Created, ApiError> {
        auth.0.require_admin()?;
        let name = body.0.name.trimmed().to_string();
        if name.is_empty() {
            return Err(ApiError::invalid("name", "must not be blank"));
        }
        let now = store::stored(state.now());
        let actor = audit::Actor::Person(auth.0.person_id.clone());
        let created = state
            .db
            .write_async(move |conn| {
                let organisation = organisations::create(conn, &name, now)?;
                audit::record(
                    conn,
                    &actor,
                    "organisation.created",
                    ("organisation", &organisation.id),
                    serde_json::json!({ "name": organisation.name }),
                    now,
                )?;
                Ok(organisation)
            })
            .await?;
        Ok(Created::Created(Json(Organisation {
            id: created.id,
            name: created.name,
        })))
    }

    /// List organisations
    ///
    /// Organisations by name, for any signed-in person (for example, to choose whom to share
    /// their qualification status with).
    #[oai(path = "/v1/organisations", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        _auth: PersonToken,
        /// Items per page, 1 to 500 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
        limit: Query<Option<u32>>,
        /// `next_cursor` from the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<OrganisationList>, ApiError> {
        let limit = paging::limit(limit.0);
        let after = paging::decode_cursor(cursor.0.as_deref())?;
        let rows = state
            .db
            .read_async(move |conn| organisations::list(conn, after.as_deref(), limit + 1))
            .await?;
        let (rows, next_cursor) = paging::page(rows, limit, |o| o.name.clone());
        Ok(Json(OrganisationList {
            items: rows
                .into_iter()
                .map(|o| Organisation {
                    id: o.id,
                    name: o.name,
                })
                .collect(),
            next_cursor,
        }))
    }
}
