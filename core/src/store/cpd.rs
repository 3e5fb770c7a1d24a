//! Continuing professional development that peer workers log towards renewing a certificate.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::schema::cpd_records;
use super::DbConnection;
use crate::domain::CpdEntry;
use crate::{Error, Result};

/// A piece of continuing professional development.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = cpd_records)]
pub struct CpdRecord {
    /// Its id.
    pub id: String,
    /// The peer worker.
    pub person_id: String,
    /// When completed.
    pub completed_on: NaiveDate,
    /// How long.
    pub minutes: i32,
    /// Category, e.g. `ethics`.
    pub category: String,
    /// What it was.
    pub title: String,
    /// When logged.
    pub created_at: NaiveDateTime,
}

/// Logs continuing development.
pub fn log(conn: &mut DbConnection, record: &CpdRecord) -> Result<()> {
    if record.minutes <= 0 {
        return Err(Error::invalid("hours", "must be more than 0"));
    }
    diesel::insert_into(cpd_records::table)
        .values(record)
        .execute(conn)?;
    Ok(())
}

/// A person's continuing development, by date.
pub fn of_person(conn: &mut DbConnection, person_id: &str) -> Result<Vec<CpdRecord>> {
    Ok(cpd_records::table
        .filter(cpd_records::person_id.eq(person_id))
        .order((cpd_records::completed_on, cpd_records::id))
        .select(CpdRecord::as_select())
        .load(conn)?)
}

impl CpdRecord {
    /// The form the renewal rule reads.
    pub fn entry(&self) -> CpdEntry {
        CpdEntry {
            completed_on: self.completed_on,
            minutes: u32::try_from(self.minutes).unwrap_or(0),
            category: self.category.clone(),
        }
    }
}
