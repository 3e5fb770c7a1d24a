//! The partner register (API keys), consent and transparency (people), export and erasure.

use chrono::{DateTime, NaiveDate, Utc};
use peertrack_core::notify::webhook;
use peertrack_core::service::register::{self as service, Partner, RegisterEntry};
use peertrack_core::store::{self, audit::Actor, consents, organisations, register as store_register};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi};

use super::{paging, Tag};
use crate::auth::{PartnerKey, PersonToken};
use crate::payload::SerdeJson;
use crate::problem::ApiError;
use crate::server::AppState;
use crate::types::Text;

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
    /// `certificate.expired`, `consent.granted` or `consent.withdrawn`.
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

/// A consent.
#[derive(Debug, Object)]
pub struct ConsentView {
    /// The organisation.
    pub organisation_id: String,
    /// Its name.
    pub organisation_name: String,
    /// When sharing began.
    pub granted_at: DateTime<Utc>,
    /// When it stopped; null while sharing.
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// My consents.
#[derive(Debug, Object)]
pub struct ConsentList {
    /// Current and past, oldest first.
    pub items: Vec<ConsentView>,
    /// Always null.
    pub next_cursor: Option<String>,
}

/// A look-up of me by a partner.
#[derive(Debug, Object)]
pub struct AccessLogEntry {
    /// The organisation that looked.
    pub organisation_id: String,
    /// Its name.
    pub organisation_name: String,
    /// The name of the system (API key) it used.
    pub system: Option<String>,
    /// How: `register.search` or `register.person`.
    pub endpoint: String,
    /// When.
    pub accessed_at: DateTime<Utc>,
    /// What happened, in plain words.
    pub description: String,
}

/// My access log.
#[derive(Debug, Object)]
pub struct AccessLog {
    /// Newest first.
    pub items: Vec<AccessLogEntry>,
    /// Pass as `cursor` for older entries; null on the last page.
    pub next_cursor: Option<String>,
}

/// The outcome of an erasure.
#[derive(Debug, Object)]
pub struct Erased {
    /// The person.
    pub person_id: String,
    /// When their details were erased.
    pub erased_at: DateTime<Utc>,
}

/// Answers of `PUT /v1/me/consents/{organisation_id}`.
#[derive(Debug, ApiResponse)]
pub enum ConsentPut {
    /// Already sharing; nothing changed.
    #[oai(status = 200)]
    Unchanged(Json<ConsentView>),
    /// Now sharing.
    #[oai(status = 201)]
    Created(Json<ConsentView>),
}

/// Answers of `DELETE /v1/me/consents/{organisation_id}`.
#[derive(Debug, ApiResponse)]
pub enum ConsentDeleted {
    /// Not sharing (any more); the organisation no longer sees you from its next request.
    #[oai(status = 204)]
    NoContent,
}

fn partner(key: &PartnerKey) -> Partner {
    Partner {
        organisation_id: key.0.organisation_id.clone(),
        api_key_id: key.0.api_key_id.clone(),
    }
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

fn describe(entry: &store_register::LoggedLookUp) -> String {
    let how = match entry.endpoint.as_str() {
        "register.person" => "looked you up by name in the register",
        _ => "found you in a search of qualified peer supporters",
    };
    let system = entry
        .api_key_name
        .as_deref()
        .map(|s| format!(" (through {s})"))
        .unwrap_or_default();
    format!(
        "{}{system} {how} on {} at {} UTC.",
        entry.organisation_name,
        entry.accessed_at.format("%-d %B %Y"),
        entry.accessed_at.format("%H:%M")
    )
}

fn consent_view(consent: consents::Consent, organisation_name: String) -> ConsentView {
    ConsentView {
        organisation_id: consent.organisation_id,
        organisation_name,
        granted_at: store::utc(consent.granted_at),
        withdrawn_at: consent.withdrawn_at.map(store::utc),
    }
}

/// A webhook to register.
#[derive(Debug, Object)]
#[oai(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where to post events: an `https://` URL on the internet. Addresses on private networks
    /// or of this service's own machine are refused, when registered and at every delivery.
    #[oai(validator(min_length = 8, max_length = 2000))]
    pub url: Text,
}

/// A registered webhook; `secret` is shown only when it is created.
#[derive(Debug, Object)]
pub struct WebhookView {
    /// Its id.
    pub id: String,
    /// Where events are posted; any user information and query values show as `REDACTED`.
    pub url: String,
    /// The Standard Webhooks secret (`whsec_...`) for checking `webhook-signature`; shown once,
    /// keep it safe.
    pub secret: Option<String>,
    /// When registered.
    pub created_at: DateTime<Utc>,
}

/// Your webhooks.
#[derive(Debug, Object)]
pub struct WebhookList {
    /// Active webhooks, oldest first.
    pub items: Vec<WebhookView>,
    /// Always null.
    pub next_cursor: Option<String>,
}

/// Answers of `POST /v1/webhooks`.
#[derive(Debug, ApiResponse)]
pub enum WebhookCreated {
    /// Registered; events you may see are posted to it from now on.
    #[oai(status = 201)]
    Created(Json<WebhookView>),
}

/// Answers of `DELETE /v1/webhooks/{id}`.
#[derive(Debug, ApiResponse)]
pub enum WebhookDeleted {
    /// Removed; nothing more is posted to it.
    #[oai(status = 204)]
    NoContent,
}

fn webhook_view(webhook: store::webhooks::Webhook, show_secret: bool) -> WebhookView {
    WebhookView {
        id: webhook.id,
        url: peertrack_core::notify::redaction::redact_url(&webhook.url),
        secret: show_secret.then_some(webhook.secret),
        created_at: store::utc(webhook.created_at),
    }
}

/// Register, consent and personal-data operations.
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
        #[oai(validator(max_length = 50))]
        programme: Query<Option<Text>>,
        /// The date the certificate must be valid on (default today).
        qualified_on: Query<Option<NaiveDate>>,
        /// Items per page, 1 to 500 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
        limit: Query<Option<u32>>,
        /// `next_cursor` from the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<SerdeJson<PeerSupporterList>, ApiError> {
        let partner = partner(&key);
        let now = state.now();
        let date = qualified_on.0.unwrap_or_else(|| now.date_naive());
        crate::validation::require_plausible_date("qualified_on", date)?;
        let limit = paging::limit(limit.0);
        let after = paging::decode_cursor(cursor.0.as_deref())?;
        let programme = programme.0.map(|p| p.trimmed().to_string());
        let page = state
            .db
            .read_async({
                let partner = partner.clone();
                move |conn| {
                    let programme_id = service::programme_id_for(conn, programme.as_deref())?;
                    service::search(
                        conn,
                        &partner,
                        programme_id.as_deref(),
                        date,
                        after.as_deref(),
                        limit,
                    )
                }
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
        let partner = partner(&key);
        let now = state.now();
        let person_id = person_id.0 .0;
        let view = state
            .db
            .write_async(move |conn| {
                let Some(entry) = service::look_up(conn, &partner, &person_id, now.date_naive())? else {
                    return Ok(None);
                };
                service::record_look_ups(conn, &partner, &[&person_id], "register.person", now)?;
                Ok(Some(supporter_view(entry)))
            })
            .await?;
        view.map(Json).ok_or_else(|| ApiError::not_found("Person"))
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
        #[oai(validator(max_length = 30))]
        after: Query<Option<String>>,
        /// Items per page, 1 to 500 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
        limit: Query<Option<u32>>,
    ) -> Result<Json<ChangeList>, ApiError> {
        let organisation_id = key.0.organisation_id.clone();
        let after = match after.0.as_deref() {
            None | Some("") => 0,
            Some(text) => text
                .parse::<i64>()
                .ok()
                .filter(|n| *n >= 0)
                .ok_or_else(|| paging::bad_cursor_in("after"))?,
        };
        let limit = paging::limit(limit.0);
        let events = state
            .db
            .read_async(move |conn| store_register::visible_changes(conn, &organisation_id, after, limit))
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
                    occurred_at: store::utc(e.occurred_at),
                })
                .collect(),
            next_cursor,
        }))
    }

    /// Register a webhook
    ///
    /// For partner systems that prefer push: every change-feed event your organisation may
    /// see is also posted to this URL as JSON, signed as Standard Webhooks 1.0 says (headers
    /// `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>`) with the
    /// `whsec_` secret returned here (shown once). Failed deliveries are retried with backoff for three
    /// days; the change feed remains the record to reconcile from. The URL must be `https://`
    /// and lead to public addresses only (422 naming `url` otherwise); redirects are not
    /// followed.
    #[oai(path = "/v1/webhooks", method = "post")]
    async fn create_webhook(
        &self,
        state: Data<&AppState>,
        key: PartnerKey,
        body: Json<NewWebhook>,
    ) -> Result<WebhookCreated, ApiError> {
        let url = body.0.url.trimmed().to_string();
        // The same rules hold again at each delivery, since a name can be pointed elsewhere.
        webhook::check_destination(&url, state.config.webhook_destinations)
            .await
            .map_err(|refusal| ApiError::invalid("url", refusal.to_string()))?;
        let webhook = store::webhooks::Webhook {
            id: store::new_id(),
            organisation_id: key.0.organisation_id.clone(),
            url,
            secret: peertrack_core::notify::webhook_signature::new_secret(),
            created_at: store::stored(state.now()),
            disabled_at: None,
        };
        let saved = webhook.clone();
        state
            .db
            .write_async(move |conn| store::webhooks::create(conn, &webhook))
            .await?;
        Ok(WebhookCreated::Created(Json(webhook_view(saved, true))))
    }

    /// List webhooks
    ///
    /// Your organisation's active webhooks (without their secrets).
    #[oai(path = "/v1/webhooks", method = "get")]
    async fn webhooks(&self, state: Data<&AppState>, key: PartnerKey) -> Result<Json<WebhookList>, ApiError> {
        let organisation_id = key.0.organisation_id.clone();
        let hooks = state
            .db
            .read_async(move |conn| store::webhooks::of_organisation(conn, &organisation_id))
            .await?;
        Ok(Json(WebhookList {
            items: hooks.into_iter().map(|w| webhook_view(w, false)).collect(),
            next_cursor: None,
        }))
    }

    /// Remove a webhook
    ///
    /// Stops posting to it; 404 for a webhook that is not your organisation's.
    #[oai(path = "/v1/webhooks/:id", method = "delete")]
    async fn delete_webhook(
        &self,
        state: Data<&AppState>,
        key: PartnerKey,
        /// The webhook.
        id: Path<Text>,
    ) -> Result<WebhookDeleted, ApiError> {
        let organisation_id = key.0.organisation_id.clone();
        let now = store::stored(state.now());
        let id = id.0 .0;
        let found = state
            .db
            .write_async(move |conn| match store::webhooks::get(conn, &id) {
                Ok(w) if w.organisation_id == organisation_id && w.disabled_at.is_none() => {
                    store::webhooks::disable(conn, &id, now)?;
                    Ok(true)
                }
                Ok(_) | Err(peertrack_core::Error::NotFound(_)) => Ok(false),
                Err(e) => Err(e),
            })
            .await?;
        if found {
            Ok(WebhookDeleted::NoContent)
        } else {
            Err(ApiError::not_found("Webhook"))
        }
    }

    /// Share my qualification status
    ///
    /// Lets an organisation see, through its register search, that you are qualified: your
    /// name and your valid certificates. You can stop at any time.
    #[oai(
        path = "/v1/me/consents/:organisation_id",
        method = "put",
        tag = "Tag::Consents"
    )]
    async fn share(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        /// The organisation.
        organisation_id: Path<Text>,
    ) -> Result<ConsentPut, ApiError> {
        let me = auth.0.person_id;
        let now = state.now();
        let organisation_id = organisation_id.0 .0;
        let (view, created) = state
            .db
            .write_async(move |conn| {
                let organisation = organisations::get(conn, &organisation_id)?;
                let (consent, created) = service::grant_consent(conn, &me, &organisation_id, now)?;
                Ok((consent_view(consent, organisation.name), created))
            })
            .await?;
        Ok(if created {
            ConsentPut::Created(Json(view))
        } else {
            ConsentPut::Unchanged(Json(view))
        })
    }

    /// Stop sharing my qualification status
    ///
    /// The organisation no longer finds you from its next request, and its change feed says
    /// you stopped sharing.
    #[oai(
        path = "/v1/me/consents/:organisation_id",
        method = "delete",
        tag = "Tag::Consents"
    )]
    async fn stop_sharing(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        /// The organisation.
        organisation_id: Path<Text>,
    ) -> Result<ConsentDeleted, ApiError> {
        let me = auth.0.person_id;
        let now = state.now();
        let organisation_id = organisation_id.0 .0;
        state
            .db
            .write_async(move |conn| service::withdraw_consent(conn, &me, &organisation_id, now))
            .await?;
        Ok(ConsentDeleted::NoContent)
    }

    /// Whom I share with
    ///
    /// Every organisation you share (or shared) your qualification status with, and when.
    #[oai(path = "/v1/me/consents", method = "get", tag = "Tag::Consents")]
    async fn consents(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
    ) -> Result<Json<ConsentList>, ApiError> {
        let me = auth.0.person_id;
        let items = state
            .db
            .read_async(move |conn| {
                let mut items = Vec::new();
                for consent in consents::history(conn, &me)? {
                    let name = organisations::get(conn, &consent.organisation_id)?.name;
                    items.push(consent_view(consent, name));
                }
                Ok(items)
            })
            .await?;
        Ok(Json(ConsentList {
            items,
            next_cursor: None,
        }))
    }

    /// Who looked me up
    ///
    /// Every time a partner organisation's system found you in the register or looked you
    /// up, newest first, in plain words.
    #[oai(path = "/v1/me/access-log", method = "get", tag = "Tag::Me")]
    async fn access_log(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        /// Items per page, 1 to 500 (default 50).
        #[oai(validator(minimum(value = "1"), maximum(value = "500")))]
        limit: Query<Option<u32>>,
        /// `next_cursor` from the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<AccessLog>, ApiError> {
        let me = auth.0.person_id;
        let limit = paging::limit(limit.0);
        let before = match paging::decode_cursor(cursor.0.as_deref())? {
            Some(text) => Some(text.parse::<i64>().map_err(|_| paging::bad_cursor())?),
            None => None,
        };
        let rows = state
            .db
            // A write: look-ups still waiting are spread into the log before it is read.
            .write_async(move |conn| service::access_log_of(conn, &me, before, limit + 1))
            .await?;
        let (rows, next_cursor) = paging::page(rows, limit, |e| e.id.to_string());
        Ok(Json(AccessLog {
            items: rows
                .into_iter()
                .map(|e| AccessLogEntry {
                    description: describe(&e),
                    organisation_id: e.organisation_id,
                    organisation_name: e.organisation_name,
                    system: e.api_key_name,
                    endpoint: e.endpoint,
                    accessed_at: store::utc(e.accessed_at),
                })
                .collect(),
            next_cursor,
        }))
    }

    /// Everything held about me
    ///
    /// All your data as JSON, to keep or to take elsewhere: your details, enrolments,
    /// attendance, assessments, placements and supervision (with your notes), continuing
    /// development, certificates, consents, who looked you up, and the emails sent to you.
    #[oai(path = "/v1/me/export", method = "get", tag = "Tag::Me")]
    async fn export(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
    ) -> Result<Json<serde_json::Value>, ApiError> {
        let me = auth.0.person_id;
        let data = state
            .db
            .write_async(move |conn| service::export(conn, &me))
            .await?;
        Ok(Json(data))
    }

    /// Erase a person's details
    ///
    /// On a person's request (GDPR Article 17), an administrator removes their personal
    /// details everywhere: name, email, notes, access log, queued emails; sharing stops. Training
    /// records stay as anonymous aggregates, and their certificates still verify as "valid
    /// certificate, holder details withheld", so an employer's check keeps working.
    #[oai(path = "/v1/people/:id/erase", method = "post", tag = "Tag::People")]
    async fn erase(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
    ) -> Result<Json<Erased>, ApiError> {
        auth.0.require_admin()?;
        if auth.0.person_id == id.0 .0 {
            return Err(ApiError::invalid(
                "id",
                "you cannot erase your own account here; ask another administrator",
            ));
        }
        let actor = Actor::Person(auth.0.person_id.clone());
        let now = state.now();
        let person_id = id.0 .0;
        let erased = state
            .db
            .write_async({
                let person_id = person_id.clone();
                move |conn| service::erase(conn, &actor, &person_id, now)
            })
            .await;
        match erased {
            Ok(()) => Ok(Json(Erased {
                person_id,
                erased_at: now,
            })),
            Err(peertrack_core::Error::NotFound(_)) => Err(ApiError::not_found("Person")),
            Err(e) => Err(e.into()),
        }
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
