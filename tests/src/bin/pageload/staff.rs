//! The pages of supervisors and tutors that every one of them opens at the same address
//! (`/supervision`, `/cohorts`), measured like a peer worker's pages: each person signed in
//! through a link token, one request at a time each.

use anyhow::{bail, Result};
use chrono::Utc;
use diesel::prelude::*;
use peertrack_core::store::schema::{placements, supervision_sessions};
use peertrack_core::store::tokens::{self, TokenPurpose};
use peertrack_core::store::{self, Database, DatabaseUrl, PoolOptions};

/// A supervisor's queue.
pub const SUPERVISION: &str = "/supervision";
/// A tutor's cohorts.
pub const COHORTS: &str = "/cohorts";

/// Chooses `count` supervisors with sessions waiting for them (those with the most first) and
/// makes each a one-time sign-in token.
pub fn supervisor_tokens(url: &DatabaseUrl, count: usize) -> Result<Vec<String>> {
    let db = Database::open(url, PoolOptions::default())?;
    let now = store::stored(Utc::now());
    let tokens = db.write(|conn| {
        let waiting: Vec<(String, i64)> = supervision_sessions::table
            .inner_join(placements::table.on(placements::id.eq(supervision_sessions::placement_id)))
            .filter(supervision_sessions::verified_by.is_null())
            .filter(supervision_sessions::declined_at.is_null())
            .group_by(placements::supervisor_id)
            .select((placements::supervisor_id, diesel::dsl::count_star()))
            .order((diesel::dsl::count_star().desc(), placements::supervisor_id))
            .limit(count as i64)
            .load(conn)?;
        waiting
            .iter()
            .map(|(person, _)| {
                let expires = now + chrono::Duration::minutes(30);
                Ok(tokens::create_token(conn, person, TokenPurpose::SignIn, expires, now)?.0)
            })
            .collect::<peertrack_core::Result<Vec<String>>>()
    })?;
    if tokens.len() < count {
        bail!(
            "only {} supervisors with sessions waiting; use more --people",
            tokens.len()
        );
    }
    Ok(tokens)
}
