//! The rows of a few thousand learners, in the store's own row types, inserted in one
//! transaction with as few statements as the databases' parameter limits allow.

use super::DemoSummary;
use crate::store::assessments::Assessment;
use crate::store::attendance::AttendanceRecord;
use crate::store::certificates::Certificate;
use crate::store::changes::NewChange;
use crate::store::cohorts::{Cohort, CohortTutor, Enrolment, Session};
use crate::store::consents::Consent;
use crate::store::organisations::Organisation;
use crate::store::people::Person;
use crate::store::placements::{Placement, PracticeTime, SupervisionSession};
use crate::store::register::AccessLogEntry;
use crate::store::schema::{
    access_log, api_keys, assessments, attendance, certificates, change_events, cohort_tutors, cohorts,
    consents, enrolments, organisations, people, placements, practice_hours, sessions, supervision_sessions,
};
use crate::store::tokens::ApiKey;
use crate::store::DbConnection;
use crate::Result;
use chrono::NaiveDate;

/// SQLite refuses statements with more bound parameters than this.
const MAX_PARAMETERS: usize = 32_766;

/// A store row type for multi-row inserts: its table and column count (for the parameter
/// limit).
pub(super) trait BulkRow {
    type Table: Copy;
    const COLUMNS: usize;
    fn table() -> Self::Table;
}

pub(super) fn rows_per_statement<R: BulkRow>(_: &[R]) -> usize {
    MAX_PARAMETERS / R::COLUMNS
}

pub(super) fn table_of<R: BulkRow>(_: &[R]) -> R::Table {
    R::table()
}

/// Inserts rows with as few statements as the parameter limit allows, on either backend. The
/// store's row types bind `None` as NULL (`treat_none_as_default_value = false`), so SQLite
/// takes a whole chunk in one statement.
macro_rules! insert_rows {
    ($conn:expr, $rows:expr) => {{
        let rows = $rows;
        for chunk in rows.chunks($crate::demo::batch::rows_per_statement(rows).max(1)) {
            let table = $crate::demo::batch::table_of(rows);
            match &mut *$conn {
                $crate::store::DbConnection::Sqlite(c) => {
                    diesel::RunQueryDsl::execute(diesel::insert_into(table).values(chunk), c)?
                }
                $crate::store::DbConnection::Postgres(c) => {
                    diesel::RunQueryDsl::execute(diesel::insert_into(table).values(chunk), c)?
                }
            };
        }
    }};
}
pub(super) use insert_rows;

/// `$columns` is the table's column count (less its database-made id, for the two tables with
/// one): the test below checks it against the schema, so a new column cannot push a statement
/// past SQLite's parameter limit unnoticed.
macro_rules! bulk_row {
    ($row:ty, $table:ident, $columns:expr) => {
        impl BulkRow for $row {
            type Table = $table::table;
            const COLUMNS: usize = $columns;
            fn table() -> Self::Table {
                $table::table
            }
        }
    };
}

bulk_row!(Organisation, organisations, 3);
bulk_row!(Person, people, 7);
bulk_row!(ApiKey, api_keys, 6);
bulk_row!(Cohort, cohorts, 7);
bulk_row!(CohortTutor, cohort_tutors, 2);
bulk_row!(Session, sessions, 10);
bulk_row!(Enrolment, enrolments, 8);
bulk_row!(AttendanceRecord, attendance, 8);
bulk_row!(Assessment, assessments, 12);
bulk_row!(Placement, placements, 9);
bulk_row!(SupervisionSession, supervision_sessions, 13);
bulk_row!(PracticeTime, practice_hours, 9);
bulk_row!(Certificate, certificates, 16);
bulk_row!(Consent, consents, 5);
bulk_row!(AccessLogEntry, access_log, 5);
bulk_row!(NewChange, change_events, 6);

/// The rows of a few thousand learners, inserted in one transaction.
#[derive(Default)]
pub(super) struct Batch {
    pub people: Vec<Person>,
    pub cohorts: Vec<Cohort>,
    pub tutors: Vec<CohortTutor>,
    pub sessions: Vec<Session>,
    pub enrolments: Vec<Enrolment>,
    pub attendance: Vec<AttendanceRecord>,
    pub assessments: Vec<Assessment>,
    pub placements: Vec<Placement>,
    pub supervision: Vec<SupervisionSession>,
    pub practice: Vec<PracticeTime>,
    pub certificates: Vec<Certificate>,
    pub consents: Vec<Consent>,
    pub access_log: Vec<AccessLogEntry>,
}

impl Batch {
    /// Parents before children, so that foreign keys hold at every statement.
    pub fn insert(&self, conn: &mut DbConnection) -> Result<()> {
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

    pub fn count_into(&self, summary: &mut DemoSummary, today: NaiveDate) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::Table;

    /// Columns of a table as the schema declares them.
    fn columns<T>(table: T) -> usize
    where
        T: Table + Copy + diesel::query_dsl::methods::SelectDsl<T::AllColumns>,
        diesel::dsl::Select<T, T::AllColumns>: diesel::query_builder::QueryFragment<diesel::sqlite::Sqlite>,
    {
        let query = diesel::query_dsl::methods::SelectDsl::select(table, T::all_columns());
        let sql = diesel::debug_query::<diesel::sqlite::Sqlite, _>(&query).to_string();
        sql.split(" FROM ")
            .next()
            .unwrap_or_default()
            .matches(',')
            .count()
            + 1
    }

    #[test]
    fn every_bulk_row_knows_its_tables_columns() {
        use crate::store::schema::*;
        let made_ids = ["access_log", "change_events"];
        for (name, declared, schema) in [
            (
                "organisations",
                Organisation::COLUMNS,
                columns(organisations::table),
            ),
            ("people", Person::COLUMNS, columns(people::table)),
            ("api_keys", ApiKey::COLUMNS, columns(api_keys::table)),
            ("cohorts", Cohort::COLUMNS, columns(cohorts::table)),
            (
                "cohort_tutors",
                CohortTutor::COLUMNS,
                columns(cohort_tutors::table),
            ),
            ("sessions", Session::COLUMNS, columns(sessions::table)),
            ("enrolments", Enrolment::COLUMNS, columns(enrolments::table)),
            (
                "attendance",
                AttendanceRecord::COLUMNS,
                columns(attendance::table),
            ),
            ("assessments", Assessment::COLUMNS, columns(assessments::table)),
            ("placements", Placement::COLUMNS, columns(placements::table)),
            (
                "supervision_sessions",
                SupervisionSession::COLUMNS,
                columns(supervision_sessions::table),
            ),
            (
                "practice_hours",
                PracticeTime::COLUMNS,
                columns(practice_hours::table),
            ),
            ("certificates", Certificate::COLUMNS, columns(certificates::table)),
            ("consents", Consent::COLUMNS, columns(consents::table)),
            ("access_log", AccessLogEntry::COLUMNS, columns(access_log::table)),
            ("change_events", NewChange::COLUMNS, columns(change_events::table)),
        ] {
            let expected = if made_ids.contains(&name) {
                schema - 1
            } else {
                schema
            };
            assert_eq!(declared, expected, "{name}");
        }
    }
}
