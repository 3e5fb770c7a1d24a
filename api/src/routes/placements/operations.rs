//! The placement and supervision operations.

use super::*;

/// Placement and supervision operations.
pub struct PlacementsApi;

#[OpenApi(tag = "Tag::Placements")]
impl PlacementsApi {
    /// Add a placement
    ///
    /// An administrator, or a tutor of a cohort the learner is in, adds a practice placement
    /// at a host organisation with a supervisor there (named by email; new addresses get
    /// accounts).
    #[oai(path = "/v1/placements", method = "post")]
    async fn create(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        body: JsonBody<NewPlacement>,
    ) -> Result<PlacementCreated, ApiError> {
        let body = body.0;
        let input = service::NewPlacement {
            person_id: body.person_id.into_trimmed(),
            organisation_id: body.organisation_id.into_trimmed(),
            supervisor_email: body.supervisor_email.into_trimmed(),
            starts_on: body.starts_on.0,
            ends_on: body.ends_on.map(|d| d.0),
            cohort_id: body.cohort_id.map(|c| c.into_trimmed()),
            tutor_may_supervise: body.tutor_may_supervise.unwrap_or(false),
        };
        let now = state.now();
        let (placement, _) = state
            .db
            .write_async(move |conn| service::add(conn, &auth.0, &input, now))
            .await?;
        Ok(PlacementCreated::Created(Json(placement_view(placement))))
    }

    /// Get a placement
    ///
    /// For the learner, the supervisor, the learner's tutors and administrators.
    #[oai(path = "/v1/placements/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
    ) -> Result<Json<Placement>, ApiError> {
        let placement = state
            .db
            .read_async(move |conn| service::get(conn, &auth.0, &id.0))
            .await?;
        Ok(Json(placement_view(placement)))
    }

    /// Log supervision
    ///
    /// The learner or the supervisor logs a supervision session. Logged by the supervisor, it
    /// counts as verified at once; logged by the learner, it waits for the supervisor to
    /// verify it.
    #[oai(path = "/v1/placements/:id/supervision", method = "post")]
    async fn log(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        body: JsonBody<NewSupervision>,
    ) -> Result<SupervisionCreated, ApiError> {
        let body = body.0;
        let input = service::NewSupervision {
            occurred_on: body.occurred_on.0,
            duration_minutes: body.duration_minutes.0 as i32,
            format: body.format.into(),
            notes: body.notes.map(|n| n.0),
        };
        let now = state.now();
        let session = state
            .db
            .write_async(move |conn| service::log(conn, &auth.0, &id.0, &input, now))
            .await?;
        Ok(SupervisionCreated::Created(Json(supervision_view(session, true))))
    }

    /// List a placement's supervision
    ///
    /// Sessions by date with whether each is verified. Notes are shown only to the learner and
    /// the supervisor.
    #[oai(path = "/v1/placements/:id/supervision", method = "get")]
    async fn list(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
    ) -> Result<Json<SupervisionList>, ApiError> {
        let (sessions, show_notes) = state
            .db
            .read_async(move |conn| service::supervision_of(conn, &auth.0, &id.0))
            .await?;
        Ok(Json(SupervisionList {
            items: sessions
                .into_iter()
                .map(|s| supervision_view(s, show_notes))
                .collect(),
            next_cursor: None,
        }))
    }

    /// Verify supervision
    ///
    /// The supervisor confirms a logged supervision session; only verified sessions count
    /// towards a certificate. Verifying twice changes nothing.
    #[oai(path = "/v1/supervision/:id/verify", method = "post")]
    async fn verify(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
    ) -> Result<Json<Supervision>, ApiError> {
        let now = state.now();
        let session = state
            .db
            .write_async(move |conn| service::verify(conn, &auth.0, &id.0, now))
            .await?;
        Ok(Json(supervision_view(session, true)))
    }

    /// End a placement
    ///
    /// The supervisor, an administrator or a tutor of the cohort the placement was made within
    /// sets its last day. Supervision after that day cannot be logged; the day cannot fall
    /// before supervision already logged (unless that session was declined). Ending again
    /// corrects the day.
    #[oai(path = "/v1/placements/:id/end", method = "post")]
    async fn end(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        body: JsonBody<EndPlacement>,
    ) -> Result<Json<Placement>, ApiError> {
        let ended_on = body.0.ended_on.0;
        let now = state.now();
        let placement = state
            .db
            .write_async(move |conn| service::end(conn, &auth.0, &id.0, ended_on, now))
            .await?;
        Ok(Json(placement_view(placement)))
    }

    /// Decline supervision
    ///
    /// The supervisor declines a logged supervision session with a reason, which the learner
    /// sees and is emailed. A declined session never counts; the supervisor may still verify it
    /// later. A verified session cannot be declined (409); declining a declined one again
    /// changes nothing.
    #[oai(path = "/v1/supervision/:id/decline", method = "post")]
    async fn decline(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        id: Path<Text>,
        body: JsonBody<DeclineSupervision>,
    ) -> Result<Json<Supervision>, ApiError> {
        let reason = body.0.reason.0;
        let now = state.now();
        let session = state
            .db
            .write_async(move |conn| service::decline(conn, &auth.0, &id.0, &reason, now))
            .await?;
        Ok(Json(supervision_view(session, true)))
    }

    /// List your supervision
    ///
    /// Supervision in the placements you supervise and in your own, oldest first. A supervisor
    /// asks `?status=pending&role=supervisor` for what waits for them; a learner
    /// `?status=pending&role=learner` for what waits for their supervisor.
    #[oai(path = "/v1/supervision", method = "get")]
    async fn mine(
        &self,
        state: Data<&AppState>,
        auth: PersonToken,
        /// Only sessions with this status (default: every status).
        status: Query<Option<Status>>,
        /// Only as `supervisor` or as `learner` (default: both).
        role: Query<Option<Side>>,
        /// Items per page, 1 to 500 (default 50).
        limit: Query<Option<Limit>>,
        /// `next_cursor` from the previous page.
        cursor: Query<Option<String>>,
    ) -> Result<Json<ListedSupervisionPage>, ApiError> {
        let limit = paging::page_size(limit.0);
        let after = match paging::decode_cursor(cursor.0.as_deref())? {
            Some(position) => Some(list_position(&position)?),
            None => None,
        };
        let filter = service::SupervisionFilter {
            side: role.0.map(|side| match side {
                Side::Supervisor => service::Side::Supervisor,
                Side::Learner => service::Side::Learner,
            }),
            status: status.0.map(SupervisionStatus::from),
            after,
            limit: limit + 1,
        };
        let rows = state
            .db
            .read_async(move |conn| service::list_for_caller(conn, &auth.0, &filter))
            .await?;
        let (rows, next_cursor) = paging::page(rows, limit, |l| {
            format!("{}|{}", l.session.occurred_on, l.session.id)
        });
        Ok(Json(ListedSupervisionPage {
            items: rows.into_iter().map(listed_view).collect(),
            next_cursor,
        }))
    }
}
