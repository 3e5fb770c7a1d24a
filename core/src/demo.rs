//! A realistic synthetic data set: for a newcomer to explore the service with, and for measuring
//! it at the size of a national register.
//!
//! Organisations (one of them the partner "Demo Partner HR"), both seeded programmes, cohorts of
//! about 12 learners with their tutors, sessions and registers, assessments, placements with
//! verified supervision or practice, certificates for about 60% of the learners (some expired,
//! some revoked), consents to the partner for about half of the certified, and the partner's
//! look-ups in the access log. Everyone is invented, from short lists of common Scottish and UK
//! names, with addresses at `peertrack-demo.example`, a domain that cannot exist.
//!
//! The same seed and day give the same data set, ids included; only secrets (verification
//! codes, the partner's API key) come from the operating system's randomness, like every other
//! secret. Rows are the store's own row types (`store::people::Person`, `store::certificates::
//! Certificate`...), and certificate numbers are the real format
//! ([`crate::domain::certificate::certificate_number`]) continuing the real sequences. They go in
//! with large multi-row inserts, a few thousand learners per transaction.
//!
//! Behind the `demo` cargo feature: the `peertrack` binary and the tests use it; the library's
//! users do not see it.

mod batch;
mod certify;
mod cohort;
mod names;
mod plan;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use self::batch::{insert_rows, Batch};
use self::plan::{noon, Generator, ProgrammeInfo};
use crate::seed;
use crate::store::audit::{self, Actor};
use crate::store::schema::{certificate_sequences, organisations, people};
use crate::store::tokens::{hash_secret, new_secret, ApiKey};
use crate::store::{programmes, Database, DbConnection};
use crate::{Error, Result};

/// The partner organisation whose HR system reads the register.
pub const PARTNER_NAME: &str = "Demo Partner HR";

/// The domain of every demo email address: `.example` is reserved and never delivers.
pub const EMAIL_DOMAIN: &str = "peertrack-demo.example";

/// The demo's administrator; its presence marks a database that already has the demo data.
pub const ADMIN_EMAIL: &str = "admin@peertrack-demo.example";

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoOptions {
    /// How many peer workers (learners); tutors, supervisors and an administrator come on top.
    pub people: u32,
    /// The same seed (and day) gives the same data set.
    pub seed: u64,
    /// The day the data set is built around: cohorts start up to five years before it and up
    /// to three months after.
    pub today: NaiveDate,
}

/// What was generated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoSummary {
    /// The partner organisation's id.
    pub partner_organisation_id: String,
    /// The administrator's email address (`peertrack admin token --email` takes it).
    pub admin_email: String,
    /// A tutor's email address, for trying the tutor's side.
    pub tutor_email: String,
    /// Organisations, the partner included.
    pub organisations: usize,
    /// Learners.
    pub learners: usize,
    /// Tutors, supervisors and the administrator.
    pub staff: usize,
    /// Cohorts.
    pub cohorts: usize,
    /// Sessions.
    pub sessions: usize,
    /// Attendance marks.
    pub attendance_marks: usize,
    /// Module assessments.
    pub assessments: usize,
    /// Practice placements.
    pub placements: usize,
    /// Supervision sessions.
    pub supervision_sessions: usize,
    /// Practice-hours entries.
    pub practice_entries: usize,
    /// Certificates.
    pub certificates: usize,
    /// Of which expired by `today`.
    pub expired_certificates: usize,
    /// Of which revoked.
    pub revoked_certificates: usize,
    /// Current consents to the partner.
    pub consents: usize,
    /// Access-log entries.
    pub access_log_entries: usize,
}

/// Fills the database with a demo data set. Refused on a database that already has one.
pub fn generate(db: &Database, options: &DemoOptions) -> Result<DemoSummary> {
    if options.people == 0 {
        return Err(Error::invalid("people", "must be at least 1"));
    }
    let now = noon(options.today);
    let mut generator = Generator::new(options);
    let mut pooled = db.conn()?;
    let conn: &mut DbConnection = &mut pooled;
    let programmes = conn.transaction(|conn| {
        seed::seed_programmes(conn, now)?;
        let existing: i64 = people::table
            .filter(people::email.eq(ADMIN_EMAIL))
            .count()
            .get_result(conn)?;
        if existing > 0 {
            return Err(Error::Conflict(
                "this database already holds the demo data; use a new database file".into(),
            ));
        }
        let programmes = ["P2P", "PDA-MHPS"]
            .into_iter()
            .map(|code| programmes::current(conn, code).map(ProgrammeInfo::new))
            .collect::<Result<Vec<_>>>()?;
        let existing_sequences: Vec<(String, i32, i32)> = certificate_sequences::table
            .select((
                certificate_sequences::programme_id,
                certificate_sequences::year,
                certificate_sequences::last_number,
            ))
            .load(conn)?;
        for (programme_id, year, last) in existing_sequences {
            generator.sequences.insert((programme_id, year), last);
        }
        Ok(programmes)
    })?;

    // A large page cache keeps the growing indexes in memory while rows go in.
    set_bulk_cache(conn, true)?;
    let outcome = fill(conn, &mut generator, &programmes, options, now);
    set_bulk_cache(conn, false)?;
    if outcome.is_ok() {
        // Fresh statistics after a bulk load; without them the planners plan for empty tables
        // (PostgreSQL's cohort progress page ran ten times slower; SQLite read names through
        // the table rather than the covering index). On PostgreSQL VACUUM also marks the new
        // pages all-visible, so index-only scans stay index-only.
        match conn {
            DbConnection::Postgres(c) => diesel::sql_query("VACUUM ANALYZE").execute(c)?,
            DbConnection::Sqlite(c) => c.batch_execute(crate::store::SQLITE_ANALYZE).map(|()| 0)?,
        };
    }
    outcome
}

fn fill(
    conn: &mut DbConnection,
    generator: &mut Generator,
    programmes: &[ProgrammeInfo],
    options: &DemoOptions,
    now: NaiveDateTime,
) -> Result<DemoSummary> {
    let plan = generator.plan(programmes, options.people as usize);
    let mut summary = DemoSummary {
        admin_email: ADMIN_EMAIL.to_string(),
        tutor_email: plan.first_tutor_email.clone(),
        organisations: plan.organisations.len(),
        learners: options.people as usize,
        staff: plan.staff.len(),
        cohorts: plan.cohorts.len(),
        ..DemoSummary::default()
    };
    summary.partner_organisation_id = conn.transaction(|conn| {
        let partner_id = match organisations::table
            .filter(organisations::name.eq(PARTNER_NAME))
            .select(organisations::id)
            .first::<String>(conn)
            .optional()?
        {
            Some(id) => id,
            None => {
                insert_rows!(conn, std::slice::from_ref(&plan.partner));
                plan.partner.id.clone()
            }
        };
        insert_rows!(conn, &plan.organisations[1..]);
        insert_rows!(conn, &plan.staff);
        let key = ApiKey {
            id: plan.api_key_id.clone(),
            organisation_id: partner_id.clone(),
            name: "HR system (demo)".into(),
            key_hash: hash_secret(&new_secret("ptk")),
            created_at: noon(options.today - Duration::days(5 * 365 + 30)),
            revoked_at: None,
        };
        insert_rows!(conn, &[key]);
        Ok::<_, Error>(partner_id)
    })?;
    let partner_id = summary.partner_organisation_id.clone();

    let mut changes = Vec::new();
    let mut batch = Batch::default();
    let mut learners_in_batch = 0;
    for cohort in &plan.cohorts {
        generator.fill_cohort(cohort, &plan, programmes, &partner_id, &mut batch, &mut changes);
        learners_in_batch += cohort.size;
        if learners_in_batch >= LEARNERS_PER_TRANSACTION {
            batch.count_into(&mut summary, options.today);
            conn.transaction(|conn| batch.insert(conn))?;
            batch = Batch::default();
            learners_in_batch = 0;
        }
    }
    batch.count_into(&mut summary, options.today);
    conn.transaction(|conn| {
        batch.insert(conn)?;
        // The change feed in the order things happened, as partners would have seen it.
        changes.sort_by_key(|change| change.occurred_at);
        insert_rows!(conn, &changes);
        generator.save_sequences(conn)?;
        audit::record(
            conn,
            &Actor::System("demo"),
            "demo.generated",
            ("organisation", &partner_id),
            serde_json::json!({ "people": options.people, "seed": options.seed, "today": options.today }),
            now,
        )
    })?;
    Ok(summary)
}

/// About this many learners go in per transaction: big enough to be fast, small enough to
/// keep the rows of one batch in a few tens of megabytes.
const LEARNERS_PER_TRANSACTION: usize = 5_000;

fn set_bulk_cache(conn: &mut DbConnection, bulk: bool) -> Result<()> {
    if let DbConnection::Sqlite(c) = conn {
        // Negative sizes are in KiB: 256 MiB while loading, SQLite's default afterwards.
        let size = if bulk { -262_144 } else { -2_000 };
        c.batch_execute(&format!("PRAGMA cache_size = {size}"))?;
    }
    Ok(())
}
