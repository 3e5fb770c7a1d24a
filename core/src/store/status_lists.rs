//! Status lists (W3C Bitstring Status List): where each certificate's revocation bit lives.
//!
//! A list is not stored as bits: a certificate's bit is set exactly when it is revoked, so the
//! list is read from the certificates that hold an entry in it, and can never disagree with
//! them. A revocation also moves the list's `updated_at`, in the same transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use rand::Rng;

use super::schema::{certificates, status_lists};
use super::DbConnection;
use crate::Result;

/// Entries in a list: 16 KiB of bits, the standard's minimum, for herd privacy.
pub const LIST_SIZE: i32 = 131_072;

/// The only purpose Peertrack publishes lists for.
pub const REVOCATION: &str = "revocation";

/// A status list.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = status_lists)]
pub struct StatusList {
    /// Its id, part of its URL: "1", "2", ...
    pub id: String,
    /// What a set bit means: `revocation`.
    pub purpose: String,
    /// How many entries (bits) it has.
    pub size: i32,
    /// How many entries were handed out.
    pub allocated: i32,
    /// The step between consecutive entries (odd, so every index is reached once).
    pub stride: i32,
    /// Where the first entry is.
    pub start_offset: i32,
    /// When it was started.
    pub created_at: NaiveDateTime,
    /// When a bit in it last changed (or it was started).
    pub updated_at: NaiveDateTime,
}

impl StatusList {
    /// The index of the `n`th entry handed out (from 0): a permutation of `0..size`.
    pub fn index_of(&self, n: i32) -> i32 {
        let size = i64::from(self.size);
        ((i64::from(self.start_offset) + i64::from(n) * i64::from(self.stride)).rem_euclid(size)) as i32
    }
}

/// One list by id, if there is one.
pub fn get(conn: &mut DbConnection, id: &str) -> Result<Option<StatusList>> {
    Ok(status_lists::table
        .find(id)
        .select(StatusList::as_select())
        .first(conn)
        .optional()?)
}

/// Hands out the next free entry, in the caller's transaction: (list id, index). Starts a new
/// list when the current one is full. Concurrent callers each get a different entry.
pub fn allocate(conn: &mut DbConnection, now: NaiveDateTime) -> Result<(String, i32)> {
    loop {
        let open: Option<StatusList> = status_lists::table
            .filter(status_lists::purpose.eq(REVOCATION))
            .filter(status_lists::allocated.lt(status_lists::size))
            .order((status_lists::created_at, status_lists::id))
            .select(StatusList::as_select())
            .first(conn)
            .optional()?;
        let Some(list) = open else {
            start_list(conn, now)?;
            continue;
        };
        // The update takes the row's write lock until commit, so the read below is ours alone.
        let taken = diesel::update(
            status_lists::table
                .find(&list.id)
                .filter(status_lists::allocated.lt(status_lists::size)),
        )
        .set(status_lists::allocated.eq(status_lists::allocated + 1))
        .execute(conn)?;
        if taken == 0 {
            continue;
        }
        let allocated: i32 = status_lists::table
            .find(&list.id)
            .select(status_lists::allocated)
            .first(conn)?;
        return Ok((list.id.clone(), list.index_of(allocated - 1)));
    }
}

/// Starts the next list, numbered after the existing ones (a list another caller started at
/// the same moment is used as it is).
fn start_list(conn: &mut DbConnection, now: NaiveDateTime) -> Result<()> {
    let existing: i64 = status_lists::table.count().get_result(conn)?;
    let mut rng = rand::rng();
    let list = StatusList {
        id: (existing + 1).to_string(),
        purpose: REVOCATION.into(),
        size: LIST_SIZE,
        allocated: 0,
        stride: rng.random_range(0..LIST_SIZE / 2) * 2 + 1,
        start_offset: rng.random_range(0..LIST_SIZE),
        created_at: now,
        updated_at: now,
    };
    match conn {
        DbConnection::Sqlite(c) => {
            diesel::insert_into(status_lists::table)
                .values(&list)
                .on_conflict_do_nothing()
                .execute(c)?;
        }
        DbConnection::Postgres(c) => {
            diesel::insert_into(status_lists::table)
                .values(&list)
                .on_conflict_do_nothing()
                .execute(c)?;
        }
    }
    Ok(())
}

/// Records that a bit of the list changed now.
pub fn touch(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> Result<()> {
    diesel::update(status_lists::table.find(id))
        .set(status_lists::updated_at.eq(now))
        .execute(conn)?;
    Ok(())
}

/// The indexes whose bit is set: those of revoked certificates in the list.
pub fn set_indexes(conn: &mut DbConnection, id: &str) -> Result<Vec<i32>> {
    let indexes: Vec<Option<i32>> = certificates::table
        .filter(certificates::status_list_id.eq(id))
        .filter(certificates::revoked_at.is_not_null())
        .select(certificates::status_list_index)
        .load(conn)?;
    Ok(indexes.into_iter().flatten().collect())
}
