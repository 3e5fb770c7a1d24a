//! Certificates: numbering, issuing, look-up by verification code, revocation and renewal.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use rand::Rng;

use super::schema::{certificate_reissues, certificate_renewals, certificate_sequences, certificates};
use super::status_lists;
use super::{new_id, DbConnection, FoundOr};
use crate::domain::CertificateStatus;
use crate::{Error, Result};

/// An issued certificate.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
// `treat_none_as_default_value = false`: `None` binds NULL (no nullable column has another
// default), so SQLite takes many rows in one statement rather than one statement a row.
#[diesel(table_name = certificates, treat_none_as_default_value = false)]
pub struct Certificate {
    /// Its id.
    pub id: String,
    /// Human-readable number, e.g. `P2P-2027-000042`.
    pub number: String,
    /// Unguessable code for public verification, e.g. `K7QM-4TXR-9HWD`.
    pub verification_code: String,
    /// The holder.
    pub person_id: String,
    /// The programme.
    pub programme_id: String,
    /// The programme version the holder followed.
    pub programme_version_id: String,
    /// The cohort, when issued for one.
    pub cohort_id: Option<String>,
    /// The holder's name as printed; `None` once erased.
    pub holder_name: Option<String>,
    /// Date of issue.
    pub issued_on: NaiveDate,
    /// First day it is no longer valid; `None` if it does not expire.
    pub expires_on: Option<NaiveDate>,
    /// When it was revoked.
    pub revoked_at: Option<NaiveDateTime>,
    /// Why it was revoked.
    pub revoked_reason: Option<String>,
    /// Who issued it.
    pub issued_by: String,
    /// When the row was written.
    pub created_at: NaiveDateTime,
    /// The status list holding its revocation bit; `None` for certificates issued before
    /// status lists, until they get an entry ([`status_entry`]).
    pub status_list_id: Option<String>,
    /// Its index in that list.
    pub status_list_index: Option<i32>,
}

impl Certificate {
    /// Its status on `date`.
    pub fn status_on(&self, date: NaiveDate) -> CertificateStatus {
        CertificateStatus::on(date, self.expires_on, self.revoked_at.is_some())
    }
}

/// Letters and digits that cannot be mistaken for each other when read aloud or typed from
/// paper: no 0/O, 1/I/L, 5/S, 2/Z, 8/B.
const CODE_ALPHABET: &[u8] = b"ACDEFGHJKMNPQRTUVWXY34679";

/// A new verification code: 12 characters in three groups of four (about 55 bits).
pub fn new_verification_code() -> String {
    let mut rng = rand::rng();
    let chars: Vec<char> = (0..12)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect();
    format!(
        "{}-{}-{}",
        chars[0..4].iter().collect::<String>(),
        chars[4..8].iter().collect::<String>(),
        chars[8..12].iter().collect::<String>()
    )
}

/// The stored form of a code someone typed: upper-case, groups separated by dashes.
pub fn normalise_verification_code(typed: &str) -> String {
    let clean: String = typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    clean
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join("-")
}

/// Takes the next number in the programme's sequence for the year, in the caller's
/// transaction. Concurrent callers each get a different number on both backends.
pub fn next_number(
    conn: &mut DbConnection,
    programme_id: &str,
    programme_code: &str,
    year: i32,
) -> Result<String> {
    let start = (
        certificate_sequences::programme_id.eq(programme_id),
        certificate_sequences::year.eq(year),
        certificate_sequences::last_number.eq(0),
    );
    match conn {
        DbConnection::Sqlite(c) => {
            diesel::insert_into(certificate_sequences::table)
                .values(start)
                .on_conflict_do_nothing()
                .execute(c)?;
        }
        DbConnection::Postgres(c) => {
            diesel::insert_into(certificate_sequences::table)
                .values(start)
                .on_conflict_do_nothing()
                .execute(c)?;
        }
    }
    // The update takes the row's write lock until commit, so the read below is ours alone.
    let key = certificate_sequences::table
        .filter(certificate_sequences::programme_id.eq(programme_id))
        .filter(certificate_sequences::year.eq(year));
    diesel::update(key)
        .set(certificate_sequences::last_number.eq(certificate_sequences::last_number + 1))
        .execute(conn)?;
    let number: i32 = key.select(certificate_sequences::last_number).first(conn)?;
    Ok(crate::domain::certificate::certificate_number(
        programme_code,
        year,
        number,
    ))
}

/// Moves the programme's sequence for the year on to at least `last`, so that the next number
/// taken follows numbers given out in bulk (the demo data).
pub fn continue_sequence(conn: &mut DbConnection, programme_id: &str, year: i32, last: i32) -> Result<()> {
    let row = (
        certificate_sequences::programme_id.eq(programme_id),
        certificate_sequences::year.eq(year),
        certificate_sequences::last_number.eq(last),
    );
    let key = (certificate_sequences::programme_id, certificate_sequences::year);
    let set = certificate_sequences::last_number.eq(last);
    match conn {
        DbConnection::Sqlite(c) => diesel::insert_into(certificate_sequences::table)
            .values(row)
            .on_conflict(key)
            .do_update()
            .set(set)
            .execute(c)?,
        DbConnection::Postgres(c) => diesel::insert_into(certificate_sequences::table)
            .values(row)
            .on_conflict(key)
            .do_update()
            .set(set)
            .execute(c)?,
    };
    Ok(())
}

/// What is needed to issue a certificate.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    /// The holder.
    pub person_id: String,
    /// The holder's name as printed.
    pub holder_name: String,
    /// The programme.
    pub programme_id: String,
    /// The programme code, for the number.
    pub programme_code: String,
    /// The version the holder followed.
    pub programme_version_id: String,
    /// The cohort, if any.
    pub cohort_id: Option<String>,
    /// Date of issue.
    pub issued_on: NaiveDate,
    /// Expiry, if the programme's certificates expire.
    pub expires_on: Option<NaiveDate>,
    /// Who issues it.
    pub issued_by: String,
}

/// Issues a certificate with the next number, a fresh verification code and an entry in a
/// status list.
pub fn issue(conn: &mut DbConnection, new: &NewCertificate, now: NaiveDateTime) -> Result<Certificate> {
    let number = next_number(conn, &new.programme_id, &new.programme_code, new.issued_on.year())?;
    let (status_list_id, status_list_index) = status_lists::allocate(conn, now)?;
    let certificate = Certificate {
        id: new_id(),
        number,
        verification_code: new_verification_code(),
        person_id: new.person_id.clone(),
        programme_id: new.programme_id.clone(),
        programme_version_id: new.programme_version_id.clone(),
        cohort_id: new.cohort_id.clone(),
        holder_name: Some(new.holder_name.clone()),
        issued_on: new.issued_on,
        expires_on: new.expires_on,
        revoked_at: None,
        revoked_reason: None,
        issued_by: new.issued_by.clone(),
        created_at: now,
        status_list_id: Some(status_list_id),
        status_list_index: Some(status_list_index),
    };
    diesel::insert_into(certificates::table)
        .values(&certificate)
        .execute(conn)?;
    Ok(certificate)
}

/// One certificate by id.
pub fn get(conn: &mut DbConnection, id: &str) -> Result<Certificate> {
    certificates::table
        .find(id)
        .select(Certificate::as_select())
        .first(conn)
        .found_or("certificate")
}

/// The certificate with this verification code (as typed), if any.
pub fn by_verification_code(conn: &mut DbConnection, code: &str) -> Result<Option<Certificate>> {
    Ok(certificates::table
        .filter(certificates::verification_code.eq(normalise_verification_code(code)))
        .select(Certificate::as_select())
        .first(conn)
        .optional()?)
}

/// A person's certificates, newest first.
pub fn of_person(conn: &mut DbConnection, person_id: &str) -> Result<Vec<Certificate>> {
    Ok(certificates::table
        .filter(certificates::person_id.eq(person_id))
        .order((certificates::issued_on.desc(), certificates::number.desc()))
        .select(Certificate::as_select())
        .load(conn)?)
}

/// The certificate's status list entry (list id, index), handing one out first to a
/// certificate issued before status lists. In the caller's transaction.
pub fn status_entry(conn: &mut DbConnection, id: &str, now: NaiveDateTime) -> Result<(String, i32)> {
    let certificate = get(conn, id)?;
    if let (Some(list), Some(index)) = (certificate.status_list_id, certificate.status_list_index) {
        return Ok((list, index));
    }
    let (list, index) = status_lists::allocate(conn, now)?;
    diesel::update(certificates::table.find(id))
        .set((
            certificates::status_list_id.eq(&list),
            certificates::status_list_index.eq(index),
        ))
        .execute(conn)?;
    Ok((list, index))
}

/// Revokes a certificate with a reason; refused if already revoked. Its bit in its status
/// list is set in the same transaction (the list reads revocations; its `updated_at` moves).
pub fn revoke(conn: &mut DbConnection, id: &str, reason: &str, now: NaiveDateTime) -> Result<Certificate> {
    let changed = diesel::update(
        certificates::table
            .filter(certificates::id.eq(id))
            .filter(certificates::revoked_at.is_null()),
    )
    .set((
        certificates::revoked_at.eq(now),
        certificates::revoked_reason.eq(reason),
    ))
    .execute(conn)?;
    if changed == 0 {
        get(conn, id)?;
        return Err(Error::Conflict("this certificate is already revoked".into()));
    }
    let (list, _) = status_entry(conn, id, now)?;
    status_lists::touch(conn, &list, now)?;
    get(conn, id)
}

/// A renewal in a certificate's history.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = certificate_renewals)]
pub struct Renewal {
    /// Its id.
    pub id: String,
    /// The certificate.
    pub certificate_id: String,
    /// Expiry before.
    pub previous_expires_on: NaiveDate,
    /// Expiry after.
    pub new_expires_on: NaiveDate,
    /// Who renewed it.
    pub renewed_by: String,
    /// When.
    pub renewed_at: NaiveDateTime,
}

/// Moves a certificate's expiry on, keeping its number and recording the history.
pub fn renew(
    conn: &mut DbConnection,
    id: &str,
    new_expires_on: NaiveDate,
    renewed_by: &str,
    now: NaiveDateTime,
) -> Result<Renewal> {
    let certificate = get(conn, id)?;
    if certificate.revoked_at.is_some() {
        return Err(Error::Conflict("a revoked certificate cannot be renewed".into()));
    }
    let previous = certificate
        .expires_on
        .ok_or_else(|| Error::Conflict("this certificate does not expire, so it needs no renewal".into()))?;
    let renewal = Renewal {
        id: new_id(),
        certificate_id: id.to_string(),
        previous_expires_on: previous,
        new_expires_on,
        renewed_by: renewed_by.to_string(),
        renewed_at: now,
    };
    diesel::insert_into(certificate_renewals::table)
        .values(&renewal)
        .execute(conn)?;
    diesel::update(certificates::table.find(id))
        .set(certificates::expires_on.eq(new_expires_on))
        .execute(conn)?;
    Ok(renewal)
}

/// A certificate's renewals, oldest first.
pub fn renewals(conn: &mut DbConnection, id: &str) -> Result<Vec<Renewal>> {
    Ok(certificate_renewals::table
        .filter(certificate_renewals::certificate_id.eq(id))
        .order(certificate_renewals::renewed_at)
        .select(Renewal::as_select())
        .load(conn)?)
}

/// A reissue in a certificate's history: the name it was printed with before and after.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = certificate_reissues)]
pub struct Reissue {
    /// Its id.
    pub id: String,
    /// The certificate.
    pub certificate_id: String,
    /// The name printed before; `None` once the holder's details are erased.
    pub previous_name: Option<String>,
    /// The name printed since; `None` once the holder's details are erased.
    pub new_name: Option<String>,
    /// Who reissued it (a person's id, or `cli`).
    pub reissued_by: String,
    /// When.
    pub reissued_at: NaiveDateTime,
}

/// Prints the certificate in `holder_name` from now on, keeping its number, code and dates,
/// and records the reissue; a revoked certificate is refused.
pub fn reissue(
    conn: &mut DbConnection,
    id: &str,
    holder_name: &str,
    reissued_by: &str,
    now: NaiveDateTime,
) -> Result<Reissue> {
    let certificate = get(conn, id)?;
    if certificate.revoked_at.is_some() {
        return Err(Error::Conflict(
            "this certificate was revoked, so it cannot be reissued".into(),
        ));
    }
    let reissue = Reissue {
        id: new_id(),
        certificate_id: id.to_string(),
        previous_name: certificate.holder_name,
        new_name: Some(holder_name.to_string()),
        reissued_by: reissued_by.to_string(),
        reissued_at: now,
    };
    diesel::insert_into(certificate_reissues::table)
        .values(&reissue)
        .execute(conn)?;
    diesel::update(certificates::table.find(id))
        .set(certificates::holder_name.eq(holder_name))
        .execute(conn)?;
    Ok(reissue)
}

/// A certificate's reissues, oldest first.
pub fn reissues(conn: &mut DbConnection, id: &str) -> Result<Vec<Reissue>> {
    Ok(certificate_reissues::table
        .filter(certificate_reissues::certificate_id.eq(id))
        .order(certificate_reissues::reissued_at)
        .select(Reissue::as_select())
        .load(conn)?)
}

/// Forgets the names in the reissue history of a person's certificates (on erasure).
pub fn forget_reissued_names(conn: &mut DbConnection, person_id: &str) -> Result<()> {
    let theirs = certificates::table
        .filter(certificates::person_id.eq(person_id.to_string()))
        .select(certificates::id);
    diesel::update(certificate_reissues::table.filter(certificate_reissues::certificate_id.eq_any(theirs)))
        .set((
            certificate_reissues::previous_name.eq(None::<String>),
            certificate_reissues::new_name.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Which certificates a list holds.
#[derive(Debug, Clone, Default)]
pub struct CertificateFilter {
    /// Only this programme's.
    pub programme_id: Option<String>,
    /// Only those with this status on `today`.
    pub status: Option<CertificateStatus>,
    /// Only those issued for this cohort.
    pub cohort_id: Option<String>,
    /// Only those issued for one of these cohorts (a tutor's); `None` for any.
    pub within_cohorts: Option<Vec<String>>,
}

/// Certificates that pass `filter` on `today`, in number order after number `after`.
pub fn list(
    conn: &mut DbConnection,
    filter: &CertificateFilter,
    today: NaiveDate,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Certificate>> {
    let mut query = certificates::table
        .order(certificates::number)
        .limit(limit)
        .select(Certificate::as_select())
        .into_boxed();
    if let Some(programme_id) = &filter.programme_id {
        query = query.filter(certificates::programme_id.eq(programme_id.clone()));
    }
    if let Some(cohort_id) = &filter.cohort_id {
        query = query.filter(certificates::cohort_id.eq(cohort_id.clone()));
    }
    if let Some(cohorts) = &filter.within_cohorts {
        query = query.filter(certificates::cohort_id.eq_any(cohorts.clone()));
    }
    // The same judgement as `CertificateStatus::on`: revoked first, then expired on the day
    // its expiry names.
    query = match filter.status {
        None => query,
        Some(CertificateStatus::Revoked) => query.filter(certificates::revoked_at.is_not_null()),
        Some(CertificateStatus::Expired) => query
            .filter(certificates::revoked_at.is_null())
            .filter(certificates::expires_on.le(today)),
        Some(CertificateStatus::Valid) => query.filter(certificates::revoked_at.is_null()).filter(
            certificates::expires_on
                .is_null()
                .or(certificates::expires_on.gt(today)),
        ),
    };
    if let Some(after) = after {
        query = query.filter(certificates::number.gt(after.to_string()));
    }
    Ok(query.load(conn)?)
}

/// The certificates of a programme held by any of `person_ids`, newest first.
pub fn of_people_in_programme(
    conn: &mut DbConnection,
    person_ids: &[String],
    programme_id: &str,
) -> Result<Vec<Certificate>> {
    let mut found = Vec::new();
    // Well under the databases' limits on bound parameters.
    for chunk in person_ids.chunks(4_000) {
        found.extend(
            certificates::table
                .filter(certificates::person_id.eq_any(chunk))
                .filter(certificates::programme_id.eq(programme_id))
                .order((certificates::issued_on.desc(), certificates::number.desc()))
                .select(Certificate::as_select())
                .load::<Certificate>(conn)?,
        );
    }
    Ok(found)
}
