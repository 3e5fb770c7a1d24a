//! The partner register reads its page and nothing beyond, for every query shape the contract
//! names (issue 19): with and without a programme, on today, a past and a future date, from the
//! start and at a cursor, and one person.
//!
//! SQLite: the statements each shape runs are caught as prepared (diesel's instrumentation) and
//! their plans read with `EXPLAIN QUERY PLAN`, with no values bound, as `SQLITE_ENABLE_QPSG`
//! plans them: every table is searched through an index (never scanned), a page is read in
//! person order straight from `consents_register` (no sort), and a look-up goes by person.
//! PostgreSQL: the index entries and rows a shape reads (the transaction's own statistics) must
//! not grow with the register: a register four times larger reads about as much per page.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use peertrack_core::demo::{self, DemoOptions};
use peertrack_core::service::register::{self, Partner, RegisterQuery};
use peertrack_core::store::schema::{consents, organisations};
use peertrack_core::store::testing::TestDatabase;
use peertrack_core::store::{Backend, Database, DbConnection};

use crate::plans::{sqlite_plan, statements_of};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 3, 1).expect("a date")
}

fn now() -> DateTime<Utc> {
    today().and_hms_opt(12, 0, 0).expect("noon").and_utc()
}

/// A register of `people` demo peer workers and its partner.
fn register_of(backend: Backend, people: u32) -> Option<(TestDatabase, Partner)> {
    let db = TestDatabase::on(backend)?;
    let options = DemoOptions {
        people,
        seed: 19,
        today: today(),
    };
    demo::generate(&db, &options).expect("the demo data");
    let organisation_id = db
        .read(|conn| {
            Ok(organisations::table
                .filter(organisations::name.eq(demo::PARTNER_NAME))
                .select(organisations::id)
                .first::<String>(conn)?)
        })
        .expect("the partner");
    let partner = Partner {
        organisation_id,
        api_key_id: "plan-test".into(),
    };
    Some((db, partner))
}

/// A query shape: a name, a programme code, a date offset in days, and whether it starts at a
/// cursor a third of the way into the register.
type Shape = (&'static str, Option<&'static str>, Option<i64>, bool);

const SHAPES: &[Shape] = &[
    ("from the start", None, None, false),
    ("at a cursor", None, None, true),
    ("today", None, Some(0), true),
    ("a past date", None, Some(-3 * 365), true),
    ("a future date", None, Some(3 * 365), true),
    ("P2P from the start", Some("P2P"), None, false),
    ("P2P at a cursor", Some("P2P"), None, true),
    ("PDA-MHPS at a cursor", Some("PDA-MHPS"), None, true),
    ("P2P on a past date", Some("P2P"), Some(-3 * 365), true),
    (
        "PDA-MHPS on a future date",
        Some("PDA-MHPS"),
        Some(3 * 365),
        false,
    ),
];

/// A person a third of the way into the register: the cursor the shapes start at, and the
/// person the look-up asks about.
fn a_third_in(db: &Database, partner: &Partner) -> String {
    db.read(|conn| {
        let sharing: Vec<String> = consents::table
            .filter(consents::organisation_id.eq(&partner.organisation_id))
            .filter(consents::withdrawn_at.is_null())
            .order(consents::person_id)
            .select(consents::person_id)
            .load(conn)?;
        Ok(sharing[sharing.len() / 3].clone())
    })
    .expect("the people sharing with the partner")
}

/// Runs one shape as the API would: a page of 20.
fn run_shape(conn: &mut DbConnection, partner: &Partner, shape: &Shape, cursor: &str) -> usize {
    let (_, programme, days, at_cursor) = *shape;
    let query = RegisterQuery {
        programme: programme.map(str::to_string),
        qualified_on: days.map(|d| today() + Duration::days(d)),
        after: at_cursor.then(|| cursor.to_string()),
        limit: 20,
    };
    let (page, _) = register::search_for(conn, partner, &query, now()).expect("a register page");
    page.entries.len()
}

/// Whether a plan line reads a table whole (`SCAN CONSTANT ROW`, the row `SELECT EXISTS (...)`
/// makes, reads nothing).
fn scans(line: &str) -> bool {
    line.starts_with("SCAN") && line != "SCAN CONSTANT ROW"
}

#[test]
fn every_register_shape_is_read_along_indexes_on_sqlite() {
    let Some((db, partner)) = register_of(Backend::Sqlite, 600) else {
        return;
    };
    let cursor = a_third_in(&db, &partner);
    db.read(|conn| {
        for shape in SHAPES {
            let statements = statements_of(conn, |conn| {
                assert!(
                    run_shape(conn, &partner, shape, &cursor) > 0,
                    "{} is not empty",
                    shape.0
                );
            });
            let page = statements
                .iter()
                .find(|sql| sql.contains("`consents` INNER JOIN `certificates`"))
                .unwrap_or_else(|| panic!("{}: no page statement among {statements:#?}", shape.0));
            for sql in &statements {
                let plan = sqlite_plan(conn, sql);
                assert!(
                    !plan.iter().any(|line| scans(line)),
                    "{}: a table is scanned:\n{sql}\n{plan:#?}",
                    shape.0
                );
                if sql == page {
                    assert!(
                        plan.first()
                            .is_some_and(|l| l.contains("consents_register") && l.contains("person_id>?")),
                        "{}: the page must start from consents_register at the cursor:\n{sql}\n{plan:#?}",
                        shape.0
                    );
                    assert!(
                        plan.iter().all(|l| !l.contains("TEMP B-TREE")),
                        "{}: the page must come in index order, unsorted:\n{sql}\n{plan:#?}",
                        shape.0
                    );
                }
            }
        }
        // One person: found by id in every table.
        let person = a_third_in(&db, &partner);
        let statements = statements_of(conn, |conn| {
            let entry = register::look_up(conn, &partner, &person, today()).expect("a look-up");
            assert!(entry.is_some());
        });
        for sql in &statements {
            let plan = sqlite_plan(conn, sql);
            assert!(
                !plan.iter().any(|line| scans(line)),
                "the look-up scans a table:\n{sql}\n{plan:#?}"
            );
        }
        Ok(())
    })
    .expect("the plans");
}

#[derive(QueryableByName)]
struct Reads {
    #[diesel(sql_type = BigInt)]
    read: i64,
}

/// Index entries and rows this transaction has read so far, over every table and index.
fn postgres_reads(conn: &mut DbConnection) -> i64 {
    let reads: Reads = diesel::sql_query(
        "SELECT coalesce(sum(pg_stat_get_xact_tuples_returned(c.oid)), 0)::bigint AS read \
         FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'i')",
    )
    .get_result(conn)
    .expect("the transaction's statistics");
    reads.read
}

/// What each shape reads on PostgreSQL (and the look-up last), each in its own transaction.
fn postgres_reads_per_shape(db: &Database, partner: &Partner) -> Vec<i64> {
    let cursor = a_third_in(db, partner);
    let mut reads = Vec::new();
    for shape in SHAPES {
        let read = db
            .write(|conn| {
                let before = postgres_reads(conn);
                assert!(
                    run_shape(conn, partner, shape, &cursor) > 0,
                    "{} is not empty",
                    shape.0
                );
                Ok(postgres_reads(conn) - before)
            })
            .expect("a shape");
        reads.push(read);
    }
    let read = db
        .write(|conn| {
            let before = postgres_reads(conn);
            let entry = register::look_up(conn, partner, &cursor, today())?;
            assert!(entry.is_some());
            Ok(postgres_reads(conn) - before)
        })
        .expect("a look-up");
    reads.push(read);
    reads
}

#[test]
fn every_register_shape_reads_no_more_as_the_register_grows_on_postgres() {
    let Some((small, small_partner)) = register_of(Backend::Postgres, 500) else {
        return;
    };
    let Some((large, large_partner)) = register_of(Backend::Postgres, 2_000) else {
        return;
    };
    let before = postgres_reads_per_shape(&small, &small_partner);
    let after = postgres_reads_per_shape(&large, &large_partner);
    let names = SHAPES.iter().map(|s| s.0).chain(["one person"]);
    for ((name, small), large) in names.zip(before).zip(after) {
        eprintln!("{name}: {small} rows read at 500 people, {large} at 2,000");
        assert!(
            large <= small * 3 / 2 + 40,
            "{name}: a page reads {small} rows at 500 people but {large} at 2,000: it reads beyond its page"
        );
    }
}
