//! Figures for operators (`GET /metrics`): the outbox by channel and status, how long the oldest
//! due message has waited, and the access log's backlog. Each is one indexed or grouped query.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{access_log_pending, outbox};
use super::DbConnection;
use crate::Result;

/// What the database holds that an operator watches.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Figures {
    /// Outbox messages per (channel, status): `email` or `webhook`; `pending`, `sent`, `failed`,
    /// `skipped`.
    pub outbox: Vec<(String, String, i64)>,
    /// Seconds the oldest pending message that is due has waited since it fell due (0: none).
    pub oldest_due_seconds: f64,
    /// Register answers whose look-ups are not yet spread into each person's access log.
    pub access_log_backlog: i64,
}

/// The figures at `now`.
pub fn figures(conn: &mut DbConnection, now: NaiveDateTime) -> Result<Figures> {
    let outbox_counts: Vec<(String, String, i64)> = outbox::table
        .group_by((outbox::channel, outbox::status))
        .select((outbox::channel, outbox::status, diesel::dsl::count_star()))
        .order((outbox::channel, outbox::status))
        .load(conn)?;
    let oldest_due: Option<NaiveDateTime> = outbox::table
        .filter(outbox::status.eq(super::delivery::status::PENDING))
        .filter(outbox::next_attempt_at.le(now))
        .select(diesel::dsl::min(outbox::next_attempt_at))
        .first(conn)?;
    let access_log_backlog: i64 = access_log_pending::table.count().get_result(conn)?;
    Ok(Figures {
        outbox: outbox_counts,
        oldest_due_seconds: oldest_due
            .map_or(0.0, |due| (now - due).num_milliseconds().max(0) as f64 / 1000.0),
        access_log_backlog,
    })
}
