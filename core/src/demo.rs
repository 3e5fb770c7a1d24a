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
//! secret. Rows go in with large multi-row inserts, a few thousand learners per transaction,
//! so 100,000 learners take well under two minutes on SQLite.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use crate::domain::{
    AttendanceRate, AttendanceStatus, HeldSession, LearnerRecord, SupervisionFormat, VerifiedSupervision,
};
use crate::seed;
use crate::store::audit::{self, Actor};
use crate::store::certificates::new_verification_code;
use crate::store::changes::kind;
use crate::store::schema::{
    access_log, api_keys, assessments, attendance, certificate_sequences, certificates, change_events,
    cohort_tutors, cohorts, consents, enrolments, organisations, people, placements, practice_hours,
    sessions, supervision_sessions,
};
use crate::store::tokens::{hash_secret, new_secret};
use crate::store::{programmes, Database, DbConnection};
use crate::{Error, Result};

/// A row type for multi-row inserts: its table and column count (for the parameter limit).
trait BulkRow {
    type Table: Copy;
    const COLUMNS: usize;
    fn table() -> Self::Table;
}

fn rows_per_statement<R: BulkRow>(_: &[R]) -> usize {
    MAX_PARAMETERS / R::COLUMNS
}

fn table_of<R: BulkRow>(_: &[R]) -> R::Table {
    R::table()
}

/// Inserts rows with as few statements as the parameter limit allows, on either backend.
macro_rules! insert_rows {
    ($conn:expr, $rows:expr) => {{
        let rows = $rows;
        for chunk in rows.chunks(rows_per_statement(rows)) {
            match &mut *$conn {
                DbConnection::Sqlite(c) => diesel::insert_into(table_of(rows)).values(chunk).execute(c)?,
                DbConnection::Postgres(c) => diesel::insert_into(table_of(rows)).values(chunk).execute(c)?,
            };
        }
    }};
}

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
        let key = ApiKeyRow {
            id: plan.api_key_id.clone(),
            organisation_id: partner_id.clone(),
            name: "HR system (demo)".into(),
            key_hash: hash_secret(&new_secret("ptk")),
            created_at: noon(options.today - Duration::days(5 * 365 + 30)),
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

/// SQLite refuses statements with more bound parameters than this.
const MAX_PARAMETERS: usize = 32_766;

fn set_bulk_cache(conn: &mut DbConnection, bulk: bool) -> Result<()> {
    if let DbConnection::Sqlite(c) = conn {
        // Negative sizes are in KiB: 256 MiB while loading, SQLite's default afterwards.
        let size = if bulk { -262_144 } else { -2_000 };
        c.batch_execute(&format!("PRAGMA cache_size = {size}"))?;
    }
    Ok(())
}

macro_rules! bulk_row {
    ($row:ident, $table:ident, $columns:expr) => {
        impl BulkRow for $row {
            type Table = $table::table;
            const COLUMNS: usize = $columns;
            fn table() -> Self::Table {
                $table::table
            }
        }
    };
}

// `treat_none_as_default_value = false` binds NULL for `None`, so that SQLite takes a whole
// chunk in one statement (with DEFAULT, diesel would insert row by row).

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = organisations)]
struct OrganisationRow {
    id: String,
    name: String,
    created_at: NaiveDateTime,
}
bulk_row!(OrganisationRow, organisations, 3);

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = people)]
struct PersonRow {
    id: String,
    email: String,
    name: String,
    is_admin: bool,
    reminders_enabled: bool,
    created_at: NaiveDateTime,
}
bulk_row!(PersonRow, people, 6);

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = api_keys)]
struct ApiKeyRow {
    id: String,
    organisation_id: String,
    name: String,
    key_hash: String,
    created_at: NaiveDateTime,
}
bulk_row!(ApiKeyRow, api_keys, 5);

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = cohorts)]
struct CohortRow {
    id: String,
    programme_version_id: String,
    organisation_id: String,
    name: String,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    created_at: NaiveDateTime,
}
bulk_row!(CohortRow, cohorts, 7);

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = cohort_tutors)]
struct CohortTutorRow {
    cohort_id: String,
    person_id: String,
}
bulk_row!(CohortTutorRow, cohort_tutors, 2);

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = sessions, treat_none_as_default_value = false)]
struct SessionRow {
    id: String,
    cohort_id: String,
    module_code: Option<String>,
    title: String,
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    register_version: i32,
    created_at: NaiveDateTime,
}
bulk_row!(SessionRow, sessions, 8);

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = enrolments)]
struct EnrolmentRow {
    id: String,
    cohort_id: String,
    person_id: String,
    enrolled_on: NaiveDate,
    status: &'static str,
    created_at: NaiveDateTime,
}
bulk_row!(EnrolmentRow, enrolments, 6);

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = attendance, treat_none_as_default_value = false)]
struct AttendanceRow {
    session_id: String,
    person_id: String,
    status: &'static str,
    note: Option<&'static str>,
    recorded_by: String,
    recorded_at: NaiveDateTime,
    version: i32,
}
bulk_row!(AttendanceRow, attendance, 7);

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = assessments, treat_none_as_default_value = false)]
struct AssessmentRow {
    id: String,
    cohort_id: String,
    person_id: String,
    module_code: String,
    outcome: &'static str,
    note: Option<&'static str>,
    assessed_by: String,
    assessed_on: NaiveDate,
    verified_by: Option<String>,
    verified_on: Option<NaiveDate>,
    version: i32,
    updated_at: NaiveDateTime,
}
bulk_row!(AssessmentRow, assessments, 12);

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = placements, treat_none_as_default_value = false)]
struct PlacementRow {
    id: String,
    person_id: String,
    organisation_id: String,
    supervisor_id: String,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
    created_at: NaiveDateTime,
    cohort_id: Option<String>,
}
bulk_row!(PlacementRow, placements, 8);

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = supervision_sessions, treat_none_as_default_value = false)]
struct SupervisionRow {
    id: String,
    placement_id: String,
    occurred_on: NaiveDate,
    duration_minutes: i32,
    format: &'static str,
    notes: Option<String>,
    logged_by: String,
    verified_by: Option<String>,
    verified_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
}
bulk_row!(SupervisionRow, supervision_sessions, 10);

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = practice_hours, treat_none_as_default_value = false)]
struct PracticeRow {
    id: String,
    placement_id: String,
    worked_on: NaiveDate,
    minutes: i32,
    description: Option<&'static str>,
    logged_by: String,
    verified_by: Option<String>,
    verified_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
}
bulk_row!(PracticeRow, practice_hours, 9);

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = certificates, treat_none_as_default_value = false)]
struct CertificateRow {
    id: String,
    number: String,
    verification_code: String,
    person_id: String,
    programme_id: String,
    programme_version_id: String,
    cohort_id: Option<String>,
    holder_name: Option<String>,
    issued_on: NaiveDate,
    expires_on: Option<NaiveDate>,
    revoked_at: Option<NaiveDateTime>,
    revoked_reason: Option<&'static str>,
    issued_by: String,
    created_at: NaiveDateTime,
}
bulk_row!(CertificateRow, certificates, 14);

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = consents, treat_none_as_default_value = false)]
struct ConsentRow {
    id: String,
    person_id: String,
    organisation_id: String,
    granted_at: NaiveDateTime,
    withdrawn_at: Option<NaiveDateTime>,
}
bulk_row!(ConsentRow, consents, 5);

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = access_log, treat_none_as_default_value = false)]
struct AccessLogRow {
    person_id: String,
    organisation_id: String,
    api_key_id: Option<String>,
    endpoint: &'static str,
    accessed_at: NaiveDateTime,
}
bulk_row!(AccessLogRow, access_log, 5);

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = change_events, treat_none_as_default_value = false)]
struct ChangeRow {
    kind: &'static str,
    person_id: String,
    certificate_id: Option<String>,
    organisation_id: Option<String>,
    programme_id: Option<String>,
    occurred_at: NaiveDateTime,
}
bulk_row!(ChangeRow, change_events, 6);

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = certificate_sequences)]
struct SequenceRow {
    programme_id: String,
    year: i32,
    last_number: i32,
}

/// The rows of a few thousand learners, inserted in one transaction.
#[derive(Default)]
struct Batch {
    people: Vec<PersonRow>,
    cohorts: Vec<CohortRow>,
    tutors: Vec<CohortTutorRow>,
    sessions: Vec<SessionRow>,
    enrolments: Vec<EnrolmentRow>,
    attendance: Vec<AttendanceRow>,
    assessments: Vec<AssessmentRow>,
    placements: Vec<PlacementRow>,
    supervision: Vec<SupervisionRow>,
    practice: Vec<PracticeRow>,
    certificates: Vec<CertificateRow>,
    consents: Vec<ConsentRow>,
    access_log: Vec<AccessLogRow>,
}

impl Batch {
    /// Parents before children, so that foreign keys hold at every statement.
    fn insert(&self, conn: &mut DbConnection) -> Result<()> {
        insert_rows!(conn, &self.people);
        insert_rows!(conn, &self.cohorts);
        insert_rows!(conn, &self.tutors);
        insert_rows!(conn, &self.sessions);
        insert_rows!(conn, &self.enrolments);
        insert_rows!(conn, &self.attendance);
        insert_rows!(conn, &self.assessments);
        insert_rows!(conn, &self.placements);
        insert_rows!(conn, &self.supervision);
        insert_rows!(conn, &self.practice);
        insert_rows!(conn, &self.certificates);
        insert_rows!(conn, &self.consents);
        insert_rows!(conn, &self.access_log);
        Ok(())
    }

    fn count_into(&self, summary: &mut DemoSummary, today: NaiveDate) {
        summary.sessions += self.sessions.len();
        summary.attendance_marks += self.attendance.len();
        summary.assessments += self.assessments.len();
        summary.placements += self.placements.len();
        summary.supervision_sessions += self.supervision.len();
        summary.practice_entries += self.practice.len();
        summary.certificates += self.certificates.len();
        summary.revoked_certificates += self
            .certificates
            .iter()
            .filter(|c| c.revoked_at.is_some())
            .count();
        summary.expired_certificates += self
            .certificates
            .iter()
            .filter(|c| c.revoked_at.is_none() && c.expires_on.is_some_and(|e| e <= today))
            .count();
        summary.consents += self.consents.iter().filter(|c| c.withdrawn_at.is_none()).count();
        summary.access_log_entries += self.access_log.len();
    }
}

/// A session of a programme's usual timetable.
struct PlannedSession {
    module_code: String,
    title: String,
}

/// A seeded programme as the generator needs it.
struct ProgrammeInfo {
    version: programmes::ProgrammeVersion,
    timetable: Vec<PlannedSession>,
    /// Days between sessions.
    interval_days: i64,
    /// Hours per session.
    session_hours: i64,
}

impl ProgrammeInfo {
    fn new(version: programmes::ProgrammeVersion) -> Self {
        let mut timetable = Vec::new();
        for module in &version.definition.modules {
            // One day-long session per six planned hours, at most six per module.
            let parts = (module.planned_hours / 6).clamp(1, 6);
            for part in 1..=parts {
                let title = if parts == 1 {
                    module.title.clone()
                } else {
                    format!("{} (part {part} of {parts})", module.title)
                };
                timetable.push(PlannedSession {
                    module_code: module.code.clone(),
                    title,
                });
            }
        }
        // Long awards meet fortnightly; short programmes weekly.
        let long = timetable.len() > 10;
        ProgrammeInfo {
            version,
            timetable,
            interval_days: if long { 14 } else { 7 },
            session_hours: if long { 6 } else { 5 },
        }
    }

    fn code(&self) -> &str {
        &self.version.definition.code
    }
}

/// A cohort to generate.
struct CohortPlan {
    id: String,
    programme: usize,
    provider: usize,
    tutors: [usize; 2],
    starts_on: NaiveDate,
    size: usize,
    name: String,
}

/// Organisations, staff and cohorts, decided before any learner.
struct Plan {
    partner: OrganisationRow,
    /// The partner first, then providers, then placement hosts.
    organisations: Vec<OrganisationRow>,
    /// Tutors, then supervisors, then the administrator.
    staff: Vec<PersonRow>,
    /// Indexes into `organisations` of placement hosts, with indexes into `staff` of their
    /// supervisors.
    hosts: Vec<(usize, Vec<usize>)>,
    cohorts: Vec<CohortPlan>,
    api_key_id: String,
    first_tutor_email: String,
}

/// How a learner's time in a cohort goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Path {
    /// Attends well, completes everything, and is certified once the cohort is over.
    Certified,
    /// Completes the cohort but falls short somewhere (attendance, a module, supervision).
    FallsShort,
    /// Leaves part-way.
    Withdraws,
}

struct Generator {
    rng: StdRng,
    today: NaiveDate,
    people_made: usize,
    codes: HashSet<String>,
    sequences: HashMap<(String, i32), i32>,
}

impl Generator {
    fn new(options: &DemoOptions) -> Self {
        Generator {
            rng: StdRng::seed_from_u64(options.seed),
            today: options.today,
            people_made: 0,
            codes: HashSet::new(),
            sequences: HashMap::new(),
        }
    }

    fn id(&mut self) -> String {
        let bytes: [u8; 16] = self.rng.random();
        uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
    }

    fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    fn days(&mut self, range: std::ops::RangeInclusive<i64>) -> Duration {
        Duration::days(self.rng.random_range(range))
    }

    fn person(&mut self, created_at: NaiveDateTime) -> PersonRow {
        let first = *FIRST_NAMES.choose(&mut self.rng).unwrap_or(&"Alex");
        let last = *SURNAMES.choose(&mut self.rng).unwrap_or(&"Smith");
        self.people_made += 1;
        let email = format!(
            "{}.{}.{}@{EMAIL_DOMAIN}",
            email_part(first),
            email_part(last),
            self.people_made
        );
        PersonRow {
            id: self.id(),
            email,
            name: format!("{first} {last}"),
            is_admin: false,
            reminders_enabled: self.chance(0.9),
            created_at,
        }
    }

    fn plan(&mut self, programmes: &[ProgrammeInfo], learners: usize) -> Plan {
        let start = self.today - Duration::days(5 * 365);
        let created = noon(start - Duration::days(60));
        let partner = OrganisationRow {
            id: self.id(),
            name: PARTNER_NAME.into(),
            created_at: created,
        };
        let mut organisations = vec![partner.clone()];
        for name in PROVIDERS.iter().chain(HOSTS_ONLY) {
            organisations.push(OrganisationRow {
                id: self.id(),
                name: (*name).to_string(),
                created_at: created,
            });
        }

        // Cohorts of 10 to 14, most of 12, spread over five years and the coming quarter.
        let mut sizes = Vec::new();
        let mut total = 0;
        while total < learners {
            let size = *[10, 11, 12, 12, 12, 12, 13, 14]
                .choose(&mut self.rng)
                .unwrap_or(&12);
            let size = size.min(learners - total);
            sizes.push(size);
            total += size;
        }
        let span = 5 * 365 + 90;
        let count = sizes.len();
        let mut starts: Vec<NaiveDate> = (0..count)
            .map(|i| {
                let offset = (i as i64 * span) / count.max(1) as i64 + self.rng.random_range(0..7);
                monday_on_or_after(start + Duration::days(offset))
            })
            .collect();
        starts.sort();
        let providers = PROVIDERS.len();
        let mut cohort_providers = Vec::with_capacity(count);
        let mut per_provider = vec![0usize; providers];
        for _ in 0..count {
            let provider = self.rng.random_range(0..providers);
            per_provider[provider] += 1;
            cohort_providers.push(provider);
        }

        // Each tutor teaches about eight cohorts over the years; each supervisor hosts about
        // forty placements.
        let mut staff = Vec::new();
        let mut tutors_of_provider = Vec::new();
        for cohorts in &per_provider {
            let pool = cohorts.div_ceil(8) + 2;
            let mut tutors = Vec::new();
            for _ in 0..pool {
                tutors.push(staff.len());
                let person = self.person(created);
                staff.push(person);
            }
            tutors_of_provider.push(tutors);
        }
        let mut hosts = Vec::new();
        let host_count = organisations.len() - 1;
        let per_host = learners.div_ceil(host_count * 40) + 1;
        for host in 1..organisations.len() {
            let mut supervisors = Vec::new();
            for _ in 0..per_host {
                supervisors.push(staff.len());
                let person = self.person(created);
                staff.push(person);
            }
            hosts.push((host, supervisors));
        }
        staff.push(PersonRow {
            id: self.id(),
            email: ADMIN_EMAIL.into(),
            name: "Demo Administrator".into(),
            is_admin: true,
            reminders_enabled: true,
            created_at: created,
        });

        let mut cohorts = Vec::with_capacity(count);
        for (i, (size, starts_on)) in sizes.into_iter().zip(starts).enumerate() {
            let provider = cohort_providers[i];
            // Three in four cohorts take Peer2Peer, the rest the PDA.
            let programme = if self.chance(0.75) { 0 } else { 1 };
            let pool = &tutors_of_provider[provider];
            let first = self.rng.random_range(0..pool.len());
            let second = (first + 1 + self.rng.random_range(0..pool.len() - 1)) % pool.len();
            let place = *PLACES.choose(&mut self.rng).unwrap_or(&"Perth");
            cohorts.push(CohortPlan {
                id: self.id(),
                programme,
                provider,
                tutors: [pool[first], pool[second]],
                starts_on,
                size,
                name: format!(
                    "{} {place} {} {}",
                    programmes[programme].code(),
                    starts_on.format("%B"),
                    starts_on.year()
                ),
            });
        }
        let first_tutor_email = tutors_of_provider
            .first()
            .and_then(|t| t.first())
            .map(|&i| staff[i].email.clone())
            .unwrap_or_default();
        Plan {
            partner,
            organisations,
            staff,
            hosts,
            cohorts,
            api_key_id: self.id(),
            first_tutor_email,
        }
    }

    fn next_number(&mut self, programme: &ProgrammeInfo, year: i32) -> String {
        let last = self
            .sequences
            .entry((programme.version.programme_id.clone(), year))
            .or_insert(0);
        *last += 1;
        format!("{}-{year}-{:06}", programme.code(), *last)
    }

    fn verification_code(&mut self) -> String {
        loop {
            let code = new_verification_code();
            if self.codes.insert(code.clone()) {
                return code;
            }
        }
    }

    fn save_sequences(&self, conn: &mut DbConnection) -> Result<()> {
        for ((programme_id, year), last) in &self.sequences {
            let row = SequenceRow {
                programme_id: programme_id.clone(),
                year: *year,
                last_number: *last,
            };
            let key = (certificate_sequences::programme_id, certificate_sequences::year);
            let set = certificate_sequences::last_number.eq(*last);
            match conn {
                DbConnection::Sqlite(c) => diesel::insert_into(certificate_sequences::table)
                    .values(&row)
                    .on_conflict(key)
                    .do_update()
                    .set(set)
                    .execute(c)?,
                DbConnection::Postgres(c) => diesel::insert_into(certificate_sequences::table)
                    .values(&row)
                    .on_conflict(key)
                    .do_update()
                    .set(set)
                    .execute(c)?,
            };
        }
        Ok(())
    }

    /// Generates one cohort's learners and everything about them.
    #[allow(clippy::too_many_lines)]
    fn fill_cohort(
        &mut self,
        cohort: &CohortPlan,
        plan: &Plan,
        programmes: &[ProgrammeInfo],
        partner_id: &str,
        batch: &mut Batch,
        changes: &mut Vec<ChangeRow>,
    ) {
        let today = self.today;
        let now = noon(today);
        let programme = &programmes[cohort.programme];
        let definition = &programme.version.definition;
        let tutors = [
            plan.staff[cohort.tutors[0]].id.clone(),
            plan.staff[cohort.tutors[1]].id.clone(),
        ];
        let created = noon(cohort.starts_on - Duration::days(42));

        // The timetable: Wednesdays at 10:00 UTC, weekly or fortnightly.
        let first_day = cohort.starts_on + Duration::days(2);
        let mut timetable = Vec::with_capacity(programme.timetable.len());
        for (k, planned) in programme.timetable.iter().enumerate() {
            let day = first_day + Duration::days(k as i64 * programme.interval_days);
            let starts_at = at(day, 10);
            let ends_at = at(day, 10 + programme.session_hours);
            let id = self.id();
            timetable.push((id.clone(), starts_at, planned.module_code.clone()));
            batch.sessions.push(SessionRow {
                id,
                cohort_id: cohort.id.clone(),
                module_code: Some(planned.module_code.clone()),
                title: planned.title.clone(),
                starts_at,
                ends_at,
                register_version: i32::from(starts_at <= now),
                created_at: created,
            });
        }
        let last_day = timetable.last().map_or(cohort.starts_on, |(_, s, _)| s.date());
        let ends_on = last_day;
        batch.cohorts.push(CohortRow {
            id: cohort.id.clone(),
            programme_version_id: programme.version.version_id.clone(),
            organisation_id: plan.organisations[1 + cohort.provider].id.clone(),
            name: cohort.name.clone(),
            starts_on: cohort.starts_on,
            ends_on,
            created_at: created,
        });
        for tutor in &tutors {
            batch.tutors.push(CohortTutorRow {
                cohort_id: cohort.id.clone(),
                person_id: tutor.clone(),
            });
        }
        let held: Vec<usize> = (0..timetable.len()).filter(|&k| timetable[k].1 <= now).collect();
        // A cohort is over eight weeks after its last session.
        let over = last_day + Duration::days(56) <= today;
        let started = !held.is_empty();

        for _ in 0..cohort.size {
            let enrolled_on = cohort.starts_on - self.days(0..=14);
            let joined = enrolled_on - self.days(0..=30);
            let learner = self.person(noon(joined));
            let path = if !started {
                Path::Certified
            } else {
                let draw: f64 = self.rng.random();
                if draw < 0.05 {
                    Path::Withdraws
                } else if draw < 0.74 {
                    Path::Certified
                } else {
                    Path::FallsShort
                }
            };
            // Withdrawals happen after a few sessions.
            let leaves_after = match path {
                Path::Withdraws => self.rng.random_range(1..=timetable.len().max(2) - 1),
                _ => usize::MAX,
            };
            let status = match (path, over) {
                (Path::Withdraws, _) if leaves_after <= held.len() => "withdrawn",
                (_, true) => "completed",
                _ => "active",
            };
            batch.enrolments.push(EnrolmentRow {
                id: self.id(),
                cohort_id: cohort.id.clone(),
                person_id: learner.id.clone(),
                enrolled_on,
                status,
                created_at: noon(enrolled_on),
            });

            // The register: mostly present, some late, absent or excused.
            let mut marks: Vec<Option<AttendanceStatus>> = vec![None; timetable.len()];
            let weak = path == Path::FallsShort && self.chance(0.5);
            for &k in &held {
                if k >= leaves_after {
                    break;
                }
                let draw: f64 = self.rng.random();
                let (present, late, excused) = if weak {
                    (0.62, 0.06, 0.04)
                } else {
                    (0.88, 0.05, 0.03)
                };
                marks[k] = Some(if draw < present {
                    AttendanceStatus::Present
                } else if draw < present + late {
                    AttendanceStatus::Late
                } else if draw < present + late + excused {
                    AttendanceStatus::Excused
                } else {
                    AttendanceStatus::Absent
                });
            }
            let minimum = definition.rule.min_attendance_percent.unwrap_or(0);
            if path == Path::Certified {
                // Someone on course for the certificate keeps their attendance up.
                while !attendance_of(&timetable, &marks, enrolled_on, now).meets(minimum) {
                    let Some(slot) = marks.iter_mut().find(|m| **m == Some(AttendanceStatus::Absent)) else {
                        break;
                    };
                    *slot = Some(AttendanceStatus::Present);
                }
            }
            for (k, mark) in marks.iter().enumerate() {
                let Some(mark) = mark else { continue };
                let (session_id, starts_at, _) = &timetable[k];
                let note = match mark {
                    AttendanceStatus::Excused => {
                        Some(*EXCUSE_NOTES.choose(&mut self.rng).unwrap_or(&"Agreed in advance"))
                    }
                    AttendanceStatus::Late => self.chance(0.3).then_some("Travel delays"),
                    _ => None,
                };
                batch.attendance.push(AttendanceRow {
                    session_id: session_id.clone(),
                    person_id: learner.id.clone(),
                    status: mark.as_str(),
                    note,
                    recorded_by: tutors[k % 2].clone(),
                    recorded_at: *starts_at + Duration::hours(programme.session_hours),
                    version: 1,
                });
            }

            // Assessments, a week after each module's last session.
            let mut achieved = std::collections::BTreeSet::new();
            let mut last_evidence = cohort.starts_on;
            for module in &definition.modules {
                let Some(last) = timetable
                    .iter()
                    .enumerate()
                    .filter(|(_, (_, _, code))| *code == module.code)
                    .map(|(k, (_, s, _))| (k, s.date()))
                    .next_back()
                else {
                    continue;
                };
                let assessed_on = last.1 + Duration::days(7);
                if assessed_on > today || last.0 >= leaves_after {
                    continue;
                }
                let achieves = match path {
                    Path::Certified => module.core || self.chance(0.7),
                    Path::FallsShort => self.chance(if module.core { 0.8 } else { 0.5 }),
                    Path::Withdraws => self.chance(0.8),
                };
                let verified_on = assessed_on + Duration::days(14);
                let verified = module.requires_verification
                    && achieves
                    && verified_on <= today
                    && (path == Path::Certified || self.chance(0.6));
                if achieves && (!module.requires_verification || verified) {
                    achieved.insert(module.code.clone());
                }
                last_evidence = last_evidence.max(if verified { verified_on } else { assessed_on });
                batch.assessments.push(AssessmentRow {
                    id: self.id(),
                    cohort_id: cohort.id.clone(),
                    person_id: learner.id.clone(),
                    module_code: module.code.clone(),
                    outcome: if achieves { "achieved" } else { "not_yet_achieved" },
                    note: (!achieves).then_some("Agreed a plan to resubmit with the tutor"),
                    assessed_by: tutors[0].clone(),
                    assessed_on,
                    verified_by: verified.then(|| tutors[1].clone()),
                    verified_on: verified.then_some(verified_on),
                    version: if verified { 2 } else { 1 },
                    updated_at: noon(if verified { verified_on } else { assessed_on }),
                });
            }

            // A placement once a third of the sessions are held, for those still taking part.
            let mut supervision = Vec::new();
            let mut practice_minutes = 0u32;
            let placement_from = timetable
                .get(timetable.len() / 3)
                .map_or(cohort.starts_on, |(_, s, _)| s.date());
            if path != Path::Withdraws && placement_from <= today {
                let (host, supervisors) = plan.hosts.choose(&mut self.rng).expect("hosts are planned");
                let supervisor = plan.staff[*supervisors
                    .choose(&mut self.rng)
                    .expect("each host has supervisors")]
                .id
                .clone();
                let placement_id = self.id();
                let placement_ends = ends_on + Duration::days(28);
                batch.placements.push(PlacementRow {
                    id: placement_id.clone(),
                    person_id: learner.id.clone(),
                    organisation_id: plan.organisations[*host].id.clone(),
                    supervisor_id: supervisor.clone(),
                    starts_on: placement_from,
                    ends_on: (placement_ends <= today).then_some(placement_ends),
                    created_at: noon(placement_from - Duration::days(7)),
                    cohort_id: Some(cohort.id.clone()),
                });
                let window = (placement_ends - placement_from).num_days().max(1);
                let wants_supervision = definition.rule.min_supervision_sessions.unwrap_or(2) as usize;
                let sessions_planned = match path {
                    Path::Certified => wants_supervision + self.rng.random_range(0..=3),
                    _ => self.rng.random_range(1..=wants_supervision),
                };
                for s in 0..sessions_planned {
                    let occurred_on =
                        placement_from + Duration::days((s as i64 * window) / sessions_planned as i64 + 1);
                    if occurred_on > today {
                        break;
                    }
                    let verified_at = noon(occurred_on + self.days(1..=6));
                    let verified = verified_at <= now && (path == Path::Certified || self.chance(0.7));
                    let format = if self.chance(0.7) {
                        SupervisionFormat::Individual
                    } else {
                        SupervisionFormat::Group
                    };
                    let minutes = *[45, 60, 60, 60, 90].choose(&mut self.rng).unwrap_or(&60);
                    if verified {
                        supervision.push(VerifiedSupervision {
                            occurred_on,
                            duration_minutes: minutes as u32,
                            format,
                        });
                        last_evidence = last_evidence.max(verified_at.date());
                    }
                    batch.supervision.push(SupervisionRow {
                        id: self.id(),
                        placement_id: placement_id.clone(),
                        occurred_on,
                        duration_minutes: minutes,
                        format: format.as_str(),
                        notes: None,
                        logged_by: learner.id.clone(),
                        verified_by: verified.then(|| supervisor.clone()),
                        verified_at: verified.then_some(verified_at),
                        created_at: noon(occurred_on),
                    });
                }
                if let Some(hours) = definition.rule.min_practice_hours {
                    let entries = match path {
                        Path::Certified => (hours as usize).div_ceil(3) + self.rng.random_range(0..=2),
                        _ => self.rng.random_range(1..=(hours as usize).div_ceil(3)),
                    };
                    for e in 0..entries {
                        let worked_on = placement_from + Duration::days((e as i64 * window) / entries as i64);
                        if worked_on > today {
                            break;
                        }
                        let minutes = *[180, 195, 210, 240].choose(&mut self.rng).unwrap_or(&180);
                        let verified_at = noon(worked_on + self.days(1..=10));
                        let verified = verified_at <= now && (path == Path::Certified || self.chance(0.7));
                        if verified {
                            practice_minutes += minutes as u32;
                            last_evidence = last_evidence.max(verified_at.date());
                        }
                        batch.practice.push(PracticeRow {
                            id: self.id(),
                            placement_id: placement_id.clone(),
                            worked_on,
                            minutes,
                            description: Some(
                                *PRACTICE_NOTES.choose(&mut self.rng).unwrap_or(&"Peer support"),
                            ),
                            logged_by: learner.id.clone(),
                            verified_by: verified.then(|| supervisor.clone()),
                            verified_at: verified.then_some(verified_at),
                            created_at: noon(worked_on),
                        });
                    }
                }
            }

            // The certificate, for those who met every requirement once the cohort was over.
            let record = LearnerRecord {
                attendance: attendance_of(&timetable, &marks, enrolled_on, now),
                achieved_modules: achieved,
                supervision,
                verified_practice_minutes: practice_minutes,
            };
            let issued_on = last_evidence.max(ends_on) + self.days(14..=42);
            let eligible = definition.rule.evaluate(&definition.modules, &record).eligible;
            let learner_name = learner.name.clone();
            let learner_id = learner.id.clone();
            batch.people.push(learner);
            if !(path == Path::Certified && over && eligible && issued_on <= today) {
                continue;
            }
            let certificate_id = self.id();
            // Some providers set a three-year refresh on the certificates they issue.
            let expires_on = self
                .chance(0.25)
                .then(|| issued_on.checked_add_months(chrono::Months::new(36)))
                .flatten();
            let revoked = self.chance(0.02);
            let revoked_at = noon(issued_on + self.days(30..=400));
            let revoked_at = (revoked && revoked_at <= now).then_some(revoked_at);
            let number = self.next_number(programme, issued_on.year());
            let verification_code = self.verification_code();
            let issued_at = noon(issued_on);
            changes.push(ChangeRow {
                kind: kind::CERTIFICATE_ISSUED,
                person_id: learner_id.clone(),
                certificate_id: Some(certificate_id.clone()),
                organisation_id: None,
                programme_id: Some(programme.version.programme_id.clone()),
                occurred_at: issued_at,
            });
            if let Some(at) = revoked_at {
                changes.push(ChangeRow {
                    kind: kind::CERTIFICATE_REVOKED,
                    person_id: learner_id.clone(),
                    certificate_id: Some(certificate_id.clone()),
                    organisation_id: None,
                    programme_id: Some(programme.version.programme_id.clone()),
                    occurred_at: at,
                });
            } else if let Some(expiry) = expires_on.filter(|e| *e <= today) {
                changes.push(ChangeRow {
                    kind: kind::CERTIFICATE_EXPIRED,
                    person_id: learner_id.clone(),
                    certificate_id: Some(certificate_id.clone()),
                    organisation_id: None,
                    programme_id: Some(programme.version.programme_id.clone()),
                    occurred_at: at(expiry, 0),
                });
            }
            batch.certificates.push(CertificateRow {
                id: certificate_id,
                number,
                verification_code,
                person_id: learner_id.clone(),
                programme_id: programme.version.programme_id.clone(),
                programme_version_id: programme.version.version_id.clone(),
                cohort_id: Some(cohort.id.clone()),
                holder_name: Some(learner_name),
                issued_on,
                expires_on,
                revoked_at,
                revoked_reason: revoked_at.map(|_| {
                    *REVOCATION_REASONS
                        .choose(&mut self.rng)
                        .unwrap_or(&"Issued in error")
                }),
                issued_by: tutors[0].clone(),
                created_at: issued_at,
            });

            // About half of the certified share their status with the partner.
            if !self.chance(0.5) {
                continue;
            }
            let granted_at = noon(issued_on + self.days(0..=120));
            if granted_at > now {
                continue;
            }
            let withdrawn_at = noon(granted_at.date() + self.days(30..=500));
            let withdrawn_at = (self.chance(0.04) && withdrawn_at <= now).then_some(withdrawn_at);
            changes.push(ChangeRow {
                kind: kind::CONSENT_GRANTED,
                person_id: learner_id.clone(),
                certificate_id: None,
                organisation_id: Some(partner_id.to_string()),
                programme_id: None,
                occurred_at: granted_at,
            });
            if let Some(at) = withdrawn_at {
                changes.push(ChangeRow {
                    kind: kind::CONSENT_WITHDRAWN,
                    person_id: learner_id.clone(),
                    certificate_id: None,
                    organisation_id: Some(partner_id.to_string()),
                    programme_id: None,
                    occurred_at: at,
                });
            }
            batch.consents.push(ConsentRow {
                id: self.id(),
                person_id: learner_id.clone(),
                organisation_id: partner_id.to_string(),
                granted_at,
                withdrawn_at,
            });
            // The partner's HR system looked them up now and then while they shared.
            let until = withdrawn_at.unwrap_or(now);
            let window = (until - granted_at).num_minutes().max(1);
            let mut looks: Vec<NaiveDateTime> = (0..self.rng.random_range(0..=3))
                .map(|_| granted_at + Duration::minutes(self.rng.random_range(0..window)))
                .collect();
            looks.sort();
            for accessed_at in looks {
                batch.access_log.push(AccessLogRow {
                    person_id: learner_id.clone(),
                    organisation_id: partner_id.to_string(),
                    api_key_id: Some(plan.api_key_id.clone()),
                    endpoint: if self.chance(0.8) {
                        "register.search"
                    } else {
                        "register.person"
                    },
                    accessed_at,
                });
            }
        }
    }
}

/// The attendance rate the generated marks give, by the real rule.
fn attendance_of(
    timetable: &[(String, NaiveDateTime, String)],
    marks: &[Option<AttendanceStatus>],
    enrolled_on: NaiveDate,
    now: NaiveDateTime,
) -> AttendanceRate {
    let sessions: Vec<HeldSession> = timetable
        .iter()
        .zip(marks)
        .map(|((_, starts_at, _), status)| HeldSession {
            starts_at: starts_at.and_utc(),
            status: *status,
        })
        .collect();
    AttendanceRate::compute(&sessions, enrolled_on, now.and_utc())
}

fn noon(date: NaiveDate) -> NaiveDateTime {
    at(date, 12)
}

fn at(date: NaiveDate, hour: i64) -> NaiveDateTime {
    date.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::hours(hour)
}

fn monday_on_or_after(date: NaiveDate) -> NaiveDate {
    let ahead = (7 - date.weekday().num_days_from_monday()) % 7;
    let monday = date + Duration::days(i64::from(ahead));
    debug_assert_eq!(monday.weekday(), Weekday::Mon);
    monday
}

/// Lower-case ASCII letters only, for an email address.
fn email_part(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

const FIRST_NAMES: &[&str] = &[
    "Ailsa",
    "Alasdair",
    "Amy",
    "Andrew",
    "Callum",
    "Catriona",
    "Ciaran",
    "Claire",
    "Craig",
    "David",
    "Eilidh",
    "Emma",
    "Euan",
    "Fiona",
    "Fraser",
    "Gemma",
    "Graham",
    "Hamish",
    "Heather",
    "Iain",
    "Iona",
    "Isla",
    "Jamie",
    "Jennifer",
    "Karen",
    "Kirsty",
    "Lachlan",
    "Laura",
    "Lewis",
    "Lorna",
    "Mairi",
    "Malcolm",
    "Margaret",
    "Mhairi",
    "Morag",
    "Murray",
    "Niamh",
    "Neil",
    "Rhona",
    "Rory",
    "Ross",
    "Ruaridh",
    "Sandra",
    "Scott",
    "Shona",
    "Sinead",
    "Stuart",
    "Thomas",
    "Una",
    "Zara",
    "Aisha",
    "Bilal",
    "Hamza",
    "Priya",
    "Tomasz",
    "Agnieszka",
    "Chidi",
    "Grace",
    "Kwame",
    "Mei",
    "Olivia",
    "Jack",
    "Sophie",
    "Ryan",
    "Chloe",
    "Kyle",
];

const SURNAMES: &[&str] = &[
    "MacLeod",
    "Campbell",
    "Stewart",
    "Robertson",
    "Thomson",
    "Anderson",
    "MacDonald",
    "Scott",
    "Reid",
    "Murray",
    "Taylor",
    "Clark",
    "Ross",
    "Watson",
    "Morrison",
    "Paterson",
    "Young",
    "Mitchell",
    "Fraser",
    "Wilson",
    "Henderson",
    "Graham",
    "Kerr",
    "Sinclair",
    "Munro",
    "Cameron",
    "Duncan",
    "Ferguson",
    "Gray",
    "Hamilton",
    "Hunter",
    "Johnston",
    "Kennedy",
    "Lindsay",
    "McIntyre",
    "McKenzie",
    "Wallace",
    "Grant",
    "Docherty",
    "Quinn",
    "O'Neill",
    "Gallacher",
    "Boyle",
    "Malik",
    "Ahmed",
    "Khan",
    "Kowalski",
    "Nowak",
    "Okafor",
    "Chen",
    "Singh",
    "Patel",
    "Brown",
    "Smith",
    "Walker",
    "Jones",
];

/// Invented course providers; they host placements too.
const PROVIDERS: &[&str] = &[
    "Riverside Recovery College",
    "Northlight Peer Support",
    "Thistle Peer Learning",
    "Glenview Recovery Centre",
    "Harbour Wellbeing Collective",
    "Eastgate Community Recovery",
    "Lochside Peer Network",
    "Westburn Wellbeing Hub",
];

/// Invented organisations that host placements only.
const HOSTS_ONLY: &[&str] = &[
    "Brightwater Café Project",
    "Ferryhill Community Hub",
    "Kelvinside Drop-in",
];

const PLACES: &[&str] = &[
    "Aberdeen",
    "Ayr",
    "Dumfries",
    "Dundee",
    "Edinburgh",
    "Elgin",
    "Falkirk",
    "Fort William",
    "Galashiels",
    "Glasgow",
    "Greenock",
    "Hamilton",
    "Inverness",
    "Kilmarnock",
    "Kirkcaldy",
    "Kirkwall",
    "Lerwick",
    "Livingston",
    "Motherwell",
    "Oban",
    "Paisley",
    "Perth",
    "Stirling",
    "Stornoway",
];

/// Reasons without health details, as the register asks.
const EXCUSE_NOTES: &[&str] = &[
    "Agreed in advance",
    "Caring responsibilities",
    "Work shift clash",
    "Family commitment",
    "Travel disruption",
];

const PRACTICE_NOTES: &[&str] = &[
    "Drop-in peer support",
    "Co-facilitated a recovery group",
    "One-to-one peer support sessions",
    "Welcome conversations with new members",
    "Wellbeing walk and talk group",
];

const REVOCATION_REASONS: &[&str] = &[
    "Issued in error: duplicate record",
    "Withdrawn at the holder's request",
    "Issued before internal verification was complete",
];
