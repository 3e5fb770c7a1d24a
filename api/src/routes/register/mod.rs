//! The partner register, for partner systems (`X-Api-Key`): who is qualified among the people
//! who share with the caller's organisation, one person, and the feed of changes. Webhooks are
//! in [`webhooks`].

pub mod webhooks;

use chrono::{DateTime, NaiveDate, Utc};
use peertrack_core::domain::utc;
use peertrack_core::service::register::{self as service, Partner, RegisterEntry, RegisterQuery};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{Object, OpenApi};

use super::paging::{self, Limit};
use super::Tag;
use crate::auth::PartnerKey;
use crate::payload::SerdeJson;
use crate::problem::ApiError;
use crate::server::AppState;
use crate::types::{Date, Text};

/// A certificate as a partner sees it.
#[derive(Debug, Object, serde::Serialize)]
pub struct RegisterCertificate {
    /// Its id.
    pub id: String,
    /// Its number.
    pub number: String,
    /// The programme's code.
    pub programme_code: String,
    /// Date of issue.
    pub issued_on: NaiveDate,
    /// The day it stops being valid; null if it does not expire.
    pub expires_on: Option<NaiveDate>,
    /// `valid`, `expired` or `revoked`, on the date asked about.
    pub status: String,
}

/// A peer supporter who shares their qualification status with the caller.
#[derive(Debug, Object, serde::Serialize)]
pub struct PeerSupporter {
    /// The person.
    pub person_id: String,
    /// Their name.
    pub name: String,
    /// Their certificates.
    pub certificates: Vec<RegisterCertificate>,
}

/// A page of the register.
#[derive(Debug, Object, serde::Serialize)]
pub struct PeerSupporterList {
    /// People in a stable order.
    pub items: Vec<PeerSupporter>,
    /// Pass as `cursor` for the next page; null on the last.
    pub next_cursor: Option<String>,
}

/// A change in the register the caller may see.
#[derive(Debug, Object)]
pub struct Change {
    /// Position in the feed; pass the last one you processed as `after`.
    pub position: i64,
    /// `certificate.issued`, `certificate.renewed`, `certificate.revoked`,
    /// `certificate.expired`, `consent.granted`, `consent.withdrawn` or `person_renamed`.
    pub kind: String,
    /// The person.
    pub person_id: String,
    /// The certificate, for certificate changes.
    pub certificate_id: Option<String>,
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
}

/// A page of the change feed.
#[derive(Debug, Object)]
pub struct ChangeList {
    /// Changes, oldest first.
    pub items: Vec<Change>,
    /// Pass as `after` to resume: the last position returned, or where you already were.
    pub next_cursor: String,
}

fn supporter_view(entry: RegisterEntry) -> PeerSupporter {
    PeerSupporter {
        person_id: entry.person_id,
        name: entry.name.unwrap_or_else(|| "(details withheld)".into()),
        certificates: entry
            .certificates
            .into_iter()
            .map(|c| RegisterCertificate {
                status: c.status.as_str().to_string(),
                id: c.id,
                number: c.number,
                programme_code: c.programme_code,
                issued_on: c.issued_on,
                expires_on: c.expires_on,
            })
            .collect(),
    }
}

/// Partner register operations.
pub struct RegisterApi;

#[OpenApi(tag = "Tag::Register")]
impl RegisterApi {
    /// Search qualified peer supporters
    ///
    /// For partner systems (`X-Api-Key`): the people who share their qualification status
    /// with your organisation and hold a certificate valid on `qualified_on` (default today),
    /// optionally of one programme, with those certificates. Pages are in a stable order, so a
    /// cursor stays good while the register changes. Every person returned sees this look-up
    /// in their access log.
    #[oai(path = "/v1/register/peer-supporters", method = "get")]
    async fn search(
        &self,
        state: Data<&AppState>,
        key: PartnerKey,
        /// A programme code, e.g. `P2P`; all programmes when left out.
        programme: Query<Option<Text<0, 50>>>,
        /// The date the certificate must be valid on (default today).
        qualified_on: Query<Option<Date>>,
        /// Items per page, 1 to 500 (default 50).
        limit: Query<Option<Limit>>,
        /// `next_cursor` from the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<SerdeJson<PeerSupporterList>, ApiError> {
        let partner: Partner = key.0;
        let now = state.now();
        let query = RegisterQuery {
            programme: programme.0.map(String::from),
            qualified_on: qualified_on.0.map(|d| d.0),
            after: paging::decode_cursor(cursor.0.as_deref())?,
            limit: paging::page_size(limit.0),
        };
        let (page, _) = state
            .db
            .read_async({
                let partner = partner.clone();
                move |conn| service::search_for(conn, &partner, &query, now)
            })
            .await?;
        // The answer goes out only once every look-up is in the people's access logs; look-ups
        // of concurrent requests share one transaction.
        let ids: Vec<&str> = page.entries.iter().map(|e| e.person_id.as_str()).collect();
        service::log_look_ups(&state.db, &partner, &ids, "register.search", now).await?;
        let next_cursor = page.next_after.as_deref().map(paging::encode_cursor);
        let items = page.entries.into_iter().map(supporter_view).collect();
        // Written straight from the page: the one answer big and frequent enough to matter.
        Ok(SerdeJson(PeerSupporterList { items, next_cursor }))
    }

    /// Look up one peer supporter
    ///
    /// For partner systems: one person with all their certificates and each one's status
    /// today, if that person shares with your organisation; 404 otherwise (whether or not
    /// they exist). The person sees this look-up in their access log.
    #[oai(path = "/v1/register/peer-supporters/:person_id", method = "get")]
    async fn person(
        &self,
        state: Data<&AppState>,
        key: PartnerKey,
        /// The person.
        person_id: Path<Text>,
    ) -> Result<Json<PeerSupporter>, ApiError> {
        let partner: Partner = key.0;
        let now = state.now();
        // Read like a page of the register, and logged like one: the look-up joins the other
        // answers' access-log rows in a shared transaction rather than taking one of its own.
        let entry = state
            .db
            .read_async({
                let partner = partner.clone();
                move |conn| service::look_up(conn, &partner, &person_id.0, now.date_naive())
            })
            .await?
            .ok_or_else(|| ApiError::not_found("Person"))?;
        service::log_look_ups(
            &state.db,
            &partner,
            &[entry.person_id.as_str()],
            "register.person",
            now,
        )
        .await?;
        Ok(Json(supporter_view(entry)))
    }

    /// Changes in the register
    ///
    /// For partner systems that keep their own copy: what you may see change, oldest first
    /// (certificates issued, renewed, revoked or expired, and people starting or stopping
    /// sharing with you). Pass the `next_cursor` you last got as `after` to resume; you will
    /// never miss a change. Certificate changes show only while the person shared with you.
    #[oai(path = "/v1/register/changes", method = "get")]
    async fn changes(
        &self,
        state: Data<&AppState>,
        key: PartnerKey,
        /// The `next_cursor` of your last page; from the beginning when left out.
        after: Query<Option<Text<0, 30>>>,
        /// Items per page, 1 to 500 (default 50).
        limit: Query<Option<Limit>>,
    ) -> Result<Json<ChangeList>, ApiError> {
        let after = match after.0.as_deref() {
            None | Some("") => 0,
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| paging::bad_cursor_in("after"))?,
        };
        let limit = paging::page_size(limit.0);
        let events = state
            .db
            .read_async(move |conn| service::changes_for(conn, &key.0, after, limit))
            .await?;
        let next_cursor = events.last().map_or(after, |e| e.id).to_string();
        Ok(Json(ChangeList {
            items: events
                .into_iter()
                .map(|e| Change {
                    position: e.id,
                    kind: e.kind,
                    person_id: e.person_id,
                    certificate_id: e.certificate_id,
                    occurred_at: utc(e.occurred_at),
                })
                .collect(),
            next_cursor,
        }))
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::types::ToJSON;

    use super::*;

    /// The register page is written with serde; it must be the JSON its description promises.
    #[test]
    fn a_register_page_is_written_as_described() {
        let certificate = |expires_on| RegisterCertificate {
            id: "c1".into(),
            number: "P2P-2026-000001".into(),
            programme_code: "P2P".into(),
            issued_on: NaiveDate::from_ymd_opt(2026, 6, 30).expect("a date"),
            expires_on,
            status: "valid".into(),
        };
        for next_cursor in [None, Some("bmV4dA".to_string())] {
            let page = PeerSupporterList {
                items: vec![
                    PeerSupporter {
                        person_id: "p1".into(),
                        name: "Aisha \"Ash\" Khan".into(),
                        certificates: vec![
                            certificate(None),
                            certificate(NaiveDate::from_ymd_opt(2029, 6, 30)),
                        ],
                    },
                    PeerSupporter {
                        person_id: "p2".into(),
                        name: "(details withheld)".into(),
                        certificates: vec![],
                    },
                ],
                next_cursor,
            };
            let written = serde_json::to_value(&page).expect("serialisable");
            assert_eq!(Some(written), page.to_json());
        }
    }
}
