//! A supervisor's queue (`/supervision`, and the count of what waits for them) reads only the
//! sessions that wait, through the partial index `supervision_waiting`, not every session of
//! every placement they supervise. SQLite: the plans of the statements, caught as prepared, as
//! in `register_plans.rs`. PostgreSQL: the rows and index entries the queue reads (the
//! transaction's own statistics, with sequential scans off) stay below the sessions its
//! placements hold.

use chrono::NaiveDate;
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use peertrack_core::access::Caller;
use peertrack_core::demo::{self, DemoOptions};
use peertrack_core::service::placements;
use peertrack_core::store::schema::{placements as placement_rows, supervision_sessions};
use peertrack_core::store::testing::TestDatabase;
use peertrack_core::store::{Backend, DbConnection};

use crate::plans::{sqlite_plan, statements_of};

/// Demo data, and its supervisor whose placements hold the most supervision sessions, as a
/// caller; with how many sessions wait for them and how many their placements hold in all.
fn busiest_supervisor(backend: Backend) -> Option<(TestDatabase, Caller, i64, i64)> {
    let db = TestDatabase::on(backend)?;
    let options = DemoOptions {
        people: 400,
        seed: 16,
        today: NaiveDate::from_ymd_opt(2027, 3, 1).expect("a date"),
    };
    demo::generate(&db, &options).expect("the demo data");
    let (supervisor, waiting, all) = db
        .read(|conn| {
            let (supervisor, all): (String, i64) = supervision_sessions::table
                .inner_join(placement_rows::table)
                .group_by(placement_rows::supervisor_id)
                .select((placement_rows::supervisor_id, count_star()))
                .order((count_star().desc(), placement_rows::supervisor_id))
                .first(conn)?;
            let waiting: i64 = supervision_sessions::table
                .inner_join(placement_rows::table)
                .filter(placement_rows::supervisor_id.eq(&supervisor))
                .filter(supervision_sessions::verified_by.is_null())
                .filter(supervision_sessions::declined_by.is_null())
                .count()
                .get_result(conn)?;
            Ok((supervisor, waiting, all))
        })
        .expect("the busiest supervisor");
    assert!(
        waiting > 0 && all > 3 * waiting,
        "the demo's supervisor has {waiting} sessions waiting of {all}: the plans cannot be told apart"
    );
    Some((db, Caller::person(supervisor, false, "plan-test"), waiting, all))
}

/// What a supervisor's page reads: the queue, its placements, and the count on their home page.
fn open_the_queue(conn: &mut DbConnection, caller: &Caller, waiting: i64) {
    let (queue, supervised) = placements::queue_of_caller(conn, caller, 31).expect("the queue");
    assert_eq!(queue.len() as i64, waiting.min(31));
    assert!(!supervised.is_empty());
    assert_eq!(
        placements::waiting_for_caller(conn, caller).expect("the count"),
        waiting
    );
}

#[test]
fn the_queue_reads_what_waits_through_its_index_on_sqlite() {
    let Some((db, caller, waiting, _)) = busiest_supervisor(Backend::Sqlite) else {
        return;
    };
    db.read(|conn| {
        let statements = statements_of(conn, |conn| open_the_queue(conn, &caller, waiting));
        let reading_sessions: Vec<&String> = statements
            .iter()
            .filter(|sql| sql.contains("FROM (`supervision_sessions`"))
            .collect();
        assert_eq!(
            reading_sessions.len(),
            2,
            "the queue and its count: {statements:#?}"
        );
        for sql in reading_sessions {
            let plan = sqlite_plan(conn, sql);
            assert!(
                plan.iter().any(|l| l.contains("supervision_waiting")),
                "waiting sessions must be read through supervision_waiting:\n{sql}\n{plan:#?}"
            );
            assert!(
                !plan.iter().any(|l| l.starts_with("SCAN")),
                "a table is scanned:\n{sql}\n{plan:#?}"
            );
        }
        Ok(())
    })
    .expect("the plans");
}

#[derive(QueryableByName)]
struct Reads {
    #[diesel(sql_type = Text)]
    relation: String,
    #[diesel(sql_type = BigInt)]
    read: i64,
}

/// Rows and index entries of supervision sessions read so far, by table and index (what this
/// connection has not yet reported to the statistics collector, so only differences count).
fn sessions_read(conn: &mut DbConnection) -> QueryResult<Vec<(String, i64)>> {
    let reads: Vec<Reads> = diesel::sql_query(
        "SELECT c.relname::text AS relation, \
         pg_stat_get_xact_tuples_returned(c.oid)::bigint AS read FROM pg_class c \
         WHERE c.relnamespace = 'public'::regnamespace \
         AND (c.relname = 'supervision_sessions' OR c.relname LIKE 'supervision\\_%')",
    )
    .load(conn)?;
    Ok(reads.into_iter().map(|r| (r.relation, r.read)).collect())
}

#[test]
fn the_queue_reads_what_waits_on_postgres() {
    let Some((db, caller, waiting, all)) = busiest_supervisor(Backend::Postgres) else {
        return;
    };
    let reads = db
        .write(|conn| {
            // On a table this small PostgreSQL rightly reads it whole; with sequential scans
            // off it shows which index it would take.
            diesel::sql_query("SET LOCAL enable_seqscan = off").execute(conn)?;
            let before = sessions_read(conn)?;
            open_the_queue(conn, &caller, waiting);
            let after = sessions_read(conn)?;
            Ok(after
                .into_iter()
                .map(|(relation, read)| {
                    let earlier = before.iter().find(|(r, _)| *r == relation).map_or(0, |(_, n)| *n);
                    (relation, read - earlier)
                })
                .collect::<Vec<_>>())
        })
        .expect("the queue");
    eprintln!("{waiting} sessions waiting of {all}: {reads:?}");
    let through_waiting = reads
        .iter()
        .find(|(relation, _)| relation == "supervision_waiting")
        .map_or(0, |(_, read)| *read);
    let elsewhere: i64 = reads
        .iter()
        .filter(|(relation, _)| relation != "supervision_waiting")
        .map(|(_, read)| read)
        .sum();
    assert!(
        through_waiting > 0,
        "the queue must read supervision_waiting: {reads:?}"
    );
    assert!(
        elsewhere < all,
        "the queue read {elsewhere} rows and entries of supervision sessions outside supervision_waiting, for {waiting} waiting of {all}: {reads:?}"
    );
}
