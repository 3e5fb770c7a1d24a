//! The partner register: who shares with an organisation and holds a valid certificate, what
//! a partner may see change, and the access log that shows people every look-up of them.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl::exists;
use diesel::prelude::*;

use super::certificates::Certificate;
use super::changes::{kind, ChangeEvent};
use super::schema::{
    access_log, access_log_pending, api_keys, certificates, change_events, consents, organisations, people,
    programmes,
};
use super::DbConnection;
use crate::Result;

/// Certificates valid on `date`: issued by then, not revoked, not yet expired.
macro_rules! valid_on {
    ($date:expr) => {
        certificates::revoked_at
            .is_null()
            .and(certificates::issued_on.le($date))
            .and(
                certificates::expires_on
                    .is_null()
                    .or(certificates::expires_on.gt($date)),
            )
    };
}

/// The certificates (of `programme_id`, if given) valid on `date` of the people after `after`
/// who share with `organisation_id`, as [`RegisterRow`]s in person id order (the order of
/// `consents_register` itself, so SQLite never sorts): the boxed query both ways of reading a
/// page start from. The order of one person's certificates is left to the caller.
///
/// On SQLite the programme is compared as an expression (`+certificates.programme_id`), which
/// no index can serve: the statement is planned once, without its values (`SQLITE_ENABLE_QPSG`),
/// and with the comparison indexable SQLite read the programme's certificates through
/// `certificates_programme_person` and sorted them all by person for every page (30 ms a page
/// at 100,000 people, whatever the cursor). Without it the page has the plan of every other
/// shape: people in order from `consents_register`, each one's certificates from
/// `certificates_register` (which holds the programme), reading a page and nothing beyond.
macro_rules! register_rows {
    ($organisation_id:expr, $programme_id:expr, $date:expr, $after:expr, $sqlite:expr) => {{
        let after = $after.unwrap_or_default().to_string();
        let mut query = consents::table
            .inner_join(certificates::table.on(certificates::person_id.eq(consents::person_id)))
            .inner_join(people::table.on(people::id.eq(consents::person_id)))
            .inner_join(programmes::table.on(programmes::id.eq(certificates::programme_id)))
            .filter(consents::organisation_id.eq($organisation_id.to_string()))
            .filter(consents::withdrawn_at.is_null())
            .filter(valid_on!($date))
            // Said of both sides of the join, so each index is entered at the cursor.
            .filter(consents::person_id.gt(after.clone()))
            .filter(certificates::person_id.gt(after))
            .order(consents::person_id)
            .select(RegisterRow::as_select())
            .into_boxed();
        match $programme_id {
            Some(programme_id) if $sqlite => {
                query = query.filter(
                    diesel::dsl::sql::<diesel::sql_types::Bool>("+certificates.programme_id = ")
                        .bind::<diesel::sql_types::Text, _>(programme_id.to_string()),
                );
            }
            Some(programme_id) => {
                query = query.filter(certificates::programme_id.eq(programme_id.to_string()));
            }
            None => {}
        }
        query
    }};
}

/// One page of the people who share with `organisation_id` and hold a certificate (of
/// `programme_id`, if given) valid on `date`, in person id order after `after`. Read from
/// indexes alone (`consents_register`, `certificates_register`).
fn qualified_people(
    conn: &mut DbConnection,
    organisation_id: &str,
    programme_id: Option<&str>,
    date: NaiveDate,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<String>> {
    // From the start is after "", so every page is the same statement, prepared once.
    let after = after.unwrap_or_default().to_string();
    let mut query = consents::table
        .inner_join(certificates::table.on(certificates::person_id.eq(consents::person_id)))
        .filter(consents::organisation_id.eq(organisation_id.to_string()))
        .filter(consents::withdrawn_at.is_null())
        .filter(valid_on!(date))
        // Said of both sides of the join, so each index is entered at the cursor: otherwise
        // PostgreSQL's merge join reads every certificate before it (36 ms at 100,000 people).
        .filter(consents::person_id.gt(after.clone()))
        .filter(certificates::person_id.gt(after))
        .select(consents::person_id)
        .distinct()
        .order(consents::person_id)
        .limit(limit)
        .into_boxed();
    if let Some(programme_id) = programme_id {
        query = query.filter(certificates::programme_id.eq(programme_id.to_string()));
    }
    Ok(query.load(conn)?)
}

/// A certificate as the register shows it, with its holder: read from `certificates` joined to
/// `people` and `programmes`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = certificates)]
pub struct RegisterRow {
    /// The holder.
    pub person_id: String,
    /// The holder's name; `None` if erased.
    #[diesel(select_expression = people::name)]
    pub name: Option<String>,
    /// The certificate.
    #[diesel(column_name = id)]
    pub certificate_id: String,
    /// Its number.
    pub number: String,
    /// Its programme's code.
    #[diesel(select_expression = programmes::code)]
    pub programme_code: String,
    /// Date of issue.
    pub issued_on: NaiveDate,
    /// The day it stops being valid, if it expires.
    pub expires_on: Option<NaiveDate>,
    /// When revoked, if it was.
    pub revoked_at: Option<NaiveDateTime>,
}

/// Every certificate (of `programme_id`, if given) valid on `date` of the people in the
/// person-id range `after < id <= last` who share with `organisation_id`, with their names,
/// in person id order: a whole register page in one statement, whatever its size. The range
/// (rather than a list of ids) keeps it one prepared statement, and the people of a page are
/// neighbours in every index it reads.
fn page_certificates(
    conn: &mut DbConnection,
    organisation_id: &str,
    programme_id: Option<&str>,
    date: NaiveDate,
    after: Option<&str>,
    last: &str,
) -> Result<Vec<RegisterRow>> {
    Ok(register_rows!(organisation_id, programme_id, date, after, false)
        .filter(consents::person_id.le(last.to_string()))
        .filter(certificates::person_id.le(last.to_string()))
        .load(conn)?)
}

/// People a page makes room for at once (a page rarely has more; a larger limit grows as read).
pub const PREALLOCATED_PEOPLE: usize = 500;

/// A page of the register as rows: every certificate (of `programme_id`, if given) valid on
/// `date` of the first `limit` people after `after` who share with `organisation_id`, with
/// their names, in person id order; and whether anyone qualifies after them. What it shows is
/// one moment of the register.
///
/// On SQLite it is one statement read lazily: rows come in person order straight from the
/// indexes, and reading stops at the first row of the person after the page, so the page costs
/// one pass over its own people and nothing beyond. PostgreSQL computes a result whole before
/// handing it over, so there the page is two bounded statements: one finds where it ends, the
/// other reads it; someone who qualifies between the two starts the next page, so a page never
/// holds more than `limit` people.
pub fn page_rows(
    conn: &mut DbConnection,
    organisation_id: &str,
    programme_id: Option<&str>,
    date: NaiveDate,
    after: Option<&str>,
    limit: usize,
) -> Result<(Vec<RegisterRow>, bool)> {
    if limit == 0 {
        return Ok((Vec::new(), false));
    }
    if matches!(conn, DbConnection::Postgres(_)) {
        return page_rows_in_two(conn, organisation_id, programme_id, date, after, limit);
    }
    let rows = register_rows!(organisation_id, programme_id, date, after, true)
        .load_iter::<RegisterRow, diesel::connection::DefaultLoadingMode>(conn)?;
    take_people(rows, limit)
}

/// The rows of the first `limit` people, reading no further than the first row of the next
/// one; and whether there was a next one.
fn take_people(
    rows: impl Iterator<Item = diesel::QueryResult<RegisterRow>>,
    limit: usize,
) -> Result<(Vec<RegisterRow>, bool)> {
    let mut taken: Vec<RegisterRow> = Vec::with_capacity(limit.min(PREALLOCATED_PEOPLE) * 3 / 2);
    let mut people = 0;
    for row in rows {
        let row = row?;
        if taken.last().is_none_or(|last| last.person_id != row.person_id) {
            if people == limit {
                return Ok((taken, true));
            }
            people += 1;
        }
        taken.push(row);
    }
    Ok((taken, false))
}

/// [`page_rows`] in two bounded statements, for PostgreSQL.
fn page_rows_in_two(
    conn: &mut DbConnection,
    organisation_id: &str,
    programme_id: Option<&str>,
    date: NaiveDate,
    after: Option<&str>,
    limit: usize,
) -> Result<(Vec<RegisterRow>, bool)> {
    let wanted = i64::try_from(limit).unwrap_or(i64::MAX - 1);
    let mut ids = qualified_people(conn, organisation_id, programme_id, date, after, wanted + 1)?;
    let more = ids.len() > limit;
    ids.truncate(limit);
    let Some(last) = ids.last() else {
        return Ok((Vec::new(), false));
    };
    let rows = page_certificates(conn, organisation_id, programme_id, date, after, last)?;
    let (rows, cut) = take_people(rows.into_iter().map(Ok), limit)?;
    Ok((rows, more || cut))
}

/// Every certificate of one person, newest first, whatever its status, with their name.
pub fn certificates_of(conn: &mut DbConnection, person_id: &str) -> Result<Vec<RegisterRow>> {
    Ok(certificates::table
        .inner_join(people::table.on(people::id.eq(certificates::person_id)))
        .inner_join(programmes::table.on(programmes::id.eq(certificates::programme_id)))
        .filter(certificates::person_id.eq(person_id))
        .order((certificates::issued_on.desc(), certificates::number.desc()))
        .select(RegisterRow::as_select())
        .load(conn)?)
}

/// Whether the person currently shares with the organisation.
pub fn shares_with(conn: &mut DbConnection, person_id: &str, organisation_id: &str) -> Result<bool> {
    Ok(diesel::select(exists(
        consents::table
            .filter(consents::person_id.eq(person_id))
            .filter(consents::organisation_id.eq(organisation_id))
            .filter(consents::withdrawn_at.is_null()),
    ))
    .get_result(conn)?)
}

/// A partner's look-up of one or more people, as one answer showed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookUp {
    /// Who was shown, in the order shown.
    pub person_ids: Vec<String>,
    /// To which organisation.
    pub organisation_id: String,
    /// With which API key.
    pub api_key_id: String,
    /// Through which endpoint, e.g. `register.search`.
    pub endpoint: &'static str,
    /// When.
    pub at: NaiveDateTime,
}

/// Records look-ups: one row per answer, whatever the number of people it showed, all in one
/// statement. They join each person's access log when spread (see [`spread_pending_look_ups`]).
pub fn record_look_ups(conn: &mut DbConnection, look_ups: &[LookUp]) -> Result<()> {
    let rows: Vec<_> = look_ups
        .iter()
        .filter(|l| !l.person_ids.is_empty())
        .map(|l| {
            (
                access_log_pending::organisation_id.eq(&l.organisation_id),
                access_log_pending::api_key_id.eq(Some(&l.api_key_id)),
                access_log_pending::endpoint.eq(l.endpoint),
                access_log_pending::accessed_at.eq(l.at),
                access_log_pending::person_ids.eq(l.person_ids.join(" ")),
            )
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        DbConnection::Sqlite(c) => diesel::insert_into(access_log_pending::table)
            .values(&rows)
            .execute(c)?,
        DbConnection::Postgres(c) => diesel::insert_into(access_log_pending::table)
            .values(&rows)
            .execute(c)?,
    };
    Ok(())
}

/// One entry of a person's access log, as written.
#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = access_log, treat_none_as_default_value = false)]
pub struct AccessLogEntry {
    /// Who was looked up.
    pub person_id: String,
    /// By which organisation.
    pub organisation_id: String,
    /// With which API key, if one.
    pub api_key_id: Option<String>,
    /// Through which endpoint, e.g. `register.search`.
    pub endpoint: String,
    /// When.
    pub accessed_at: NaiveDateTime,
}

/// The PostgreSQL advisory lock that spreaders take in turn (any number unique to this use).
const SPREADING_LOCK: i64 = 7342;

/// Rows per insert when spreading: five parameters each stays under both databases' limits.
const SPREAD_ROWS_PER_STATEMENT: usize = 5_000;

/// Moves up to `limit` waiting look-ups into the people's access logs, oldest first, within
/// the caller's transaction; returns how many it moved. Spreaders take turns (on PostgreSQL,
/// several instances hold a transaction lock in turn), so no look-up is logged twice and
/// each person's log keeps the order in which they were looked up.
pub fn spread_pending_look_ups(conn: &mut DbConnection, limit: i64) -> Result<usize> {
    type Pending = (i64, String, Option<String>, String, NaiveDateTime, String);
    let columns = (
        access_log_pending::id,
        access_log_pending::organisation_id,
        access_log_pending::api_key_id,
        access_log_pending::endpoint,
        access_log_pending::accessed_at,
        access_log_pending::person_ids,
    );
    let query = access_log_pending::table
        .order(access_log_pending::id)
        .limit(limit)
        .select(columns);
    if let DbConnection::Postgres(c) = conn {
        diesel::sql_query(format!("SELECT pg_advisory_xact_lock({SPREADING_LOCK})")).execute(c)?;
    }
    let pending: Vec<Pending> = query.load(conn)?;
    if pending.is_empty() {
        return Ok(0);
    }
    let rows: Vec<_> = pending
        .iter()
        .flat_map(|(_, organisation_id, api_key_id, endpoint, at, person_ids)| {
            person_ids.split(' ').map(move |person_id| {
                (
                    access_log::person_id.eq(person_id),
                    access_log::organisation_id.eq(organisation_id),
                    access_log::api_key_id.eq(api_key_id.as_ref()),
                    access_log::endpoint.eq(endpoint),
                    access_log::accessed_at.eq(*at),
                )
            })
        })
        .collect();
    for chunk in rows.chunks(SPREAD_ROWS_PER_STATEMENT) {
        match conn {
            DbConnection::Sqlite(c) => diesel::insert_into(access_log::table).values(chunk).execute(c)?,
            DbConnection::Postgres(c) => diesel::insert_into(access_log::table).values(chunk).execute(c)?,
        };
    }
    let ids: Vec<i64> = pending.iter().map(|p| p.0).collect();
    for chunk in ids.chunks(SPREAD_ROWS_PER_STATEMENT) {
        diesel::delete(access_log_pending::table.filter(access_log_pending::id.eq_any(chunk)))
            .execute(conn)?;
    }
    Ok(pending.len())
}

/// About how many answers wait to be spread: the span of their ids, read from the two ends of
/// the key (counting the rows would read them all). Ids are given in order, so the span is
/// the number waiting, give or take answers whose insert was rolled back.
pub fn waiting_look_ups(conn: &mut DbConnection) -> Result<usize> {
    let newest: Option<i64> = access_log_pending::table
        .select(diesel::dsl::max(access_log_pending::id))
        .first(conn)?;
    let oldest: Option<i64> = access_log_pending::table
        .select(diesel::dsl::min(access_log_pending::id))
        .first(conn)?;
    Ok(match (oldest, newest) {
        (Some(oldest), Some(newest)) => usize::try_from(newest - oldest + 1).unwrap_or(0),
        _ => 0,
    })
}

/// Moves every waiting look-up into the people's access logs, so a reader sees them all.
pub fn spread_all_pending_look_ups(conn: &mut DbConnection) -> Result<usize> {
    let mut moved = 0;
    loop {
        let now = spread_pending_look_ups(conn, 1_000)?;
        if now == 0 {
            return Ok(moved);
        }
        moved += now;
    }
}

/// An access-log entry as the person sees it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct LoggedLookUp {
    /// Position.
    pub id: i64,
    /// The organisation's id.
    pub organisation_id: String,
    /// Its name.
    pub organisation_name: String,
    /// The API key's name, e.g. "HR system".
    pub api_key_name: Option<String>,
    /// The endpoint.
    pub endpoint: String,
    /// When.
    pub accessed_at: NaiveDateTime,
}

/// A person's access log, newest first, before position `before`.
pub fn access_log_of(
    conn: &mut DbConnection,
    person_id: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<LoggedLookUp>> {
    let mut query = access_log::table
        .inner_join(organisations::table)
        .left_join(api_keys::table)
        .filter(access_log::person_id.eq(person_id.to_string()))
        .order(access_log::id.desc())
        .limit(limit)
        .select((
            access_log::id,
            access_log::organisation_id,
            organisations::name,
            api_keys::name.nullable(),
            access_log::endpoint,
            access_log::accessed_at,
        ))
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(access_log::id.lt(before));
    }
    Ok(query.load(conn)?)
}

/// Changes `organisation_id` may see after position `after`, oldest first: its own consent
/// events, and certificate events of people who shared with it when they happened.
pub fn visible_changes(
    conn: &mut DbConnection,
    organisation_id: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<ChangeEvent>> {
    let shared_then = consents::table
        .filter(consents::person_id.eq(change_events::person_id))
        .filter(consents::organisation_id.eq(organisation_id.to_string()))
        .filter(consents::granted_at.le(change_events::occurred_at))
        .filter(
            consents::withdrawn_at
                .is_null()
                .or(consents::withdrawn_at.gt(change_events::occurred_at.nullable())),
        );
    Ok(change_events::table
        .filter(change_events::id.gt(after))
        .filter(
            change_events::organisation_id
                .eq(organisation_id.to_string())
                // Certificate changes and corrected names: of people who shared with the
                // partner when they happened.
                .or(change_events::certificate_id
                    .is_not_null()
                    .or(change_events::kind.eq(kind::PERSON_RENAMED))
                    .and(exists(shared_then))),
        )
        .order(change_events::id)
        .limit(limit)
        .select(ChangeEvent::as_select())
        .load(conn)?)
}

/// The position of the newest change, or 0.
pub fn latest_change(conn: &mut DbConnection) -> Result<i64> {
    Ok(change_events::table
        .select(diesel::dsl::max(change_events::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}

/// Certificates that reached their expiry by `today` and have no `certificate.expired` event
/// since that date: the scheduler records one for each, once.
pub fn expired_without_event(conn: &mut DbConnection, today: NaiveDate) -> Result<Vec<Certificate>> {
    // One statement, not one per certificate: it runs inside the scheduler's write
    // transaction. A timestamp compares with a date as with its midnight on both databases.
    let recorded = change_events::table
        .filter(change_events::certificate_id.eq(certificates::id.nullable()))
        .filter(change_events::kind.eq(kind::CERTIFICATE_EXPIRED))
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "change_events.occurred_at >= certificates.expires_on",
        ));
    Ok(certificates::table
        .filter(certificates::revoked_at.is_null())
        .filter(certificates::expires_on.le(today))
        .filter(diesel::dsl::not(exists(recorded)))
        .select(Certificate::as_select())
        .load(conn)?)
}
