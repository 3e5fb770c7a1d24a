//! People: learners, tutors, supervisors and administrators are all people; roles come from
//! their relationships (tutor of a cohort, supervisor of a placement) and the admin flag.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::people;
use super::{new_id, DbConnection, FoundOr};
use crate::{Error, Result};

/// A person.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
// `treat_none_as_default_value = false`: `None` binds NULL (no nullable column has another
// default), so SQLite takes many rows in one statement rather than one statement a row.
#[diesel(table_name = people, treat_none_as_default_value = false)]
pub struct Person {
    /// Their id.
    pub id: String,
    /// Their email address, lower-cased; `None` once erased.
    pub email: Option<String>,
    /// Their name; `None` once erased.
    pub name: Option<String>,
    /// Whether they administer this Peertrack.
    pub is_admin: bool,
    /// Whether they want non-essential emails such as session reminders.
    pub reminders_enabled: bool,
    /// When their personal details were erased on request.
    pub erased_at: Option<NaiveDateTime>,
    /// When they were added.
    pub created_at: NaiveDateTime,
}

impl Person {
    /// The name to show, or a neutral placeholder once erased.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or("(details withheld)")
    }
}

/// The stored form of an email address: trimmed and lower-cased.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// The person with this email, if any.
pub fn by_email(conn: &mut DbConnection, email: &str) -> Result<Option<Person>> {
    Ok(people::table
        .filter(people::email.eq(normalise_email(email)))
        .select(Person::as_select())
        .first(conn)
        .optional()?)
}

/// One person by id.
pub fn get(conn: &mut DbConnection, id: &str) -> Result<Person> {
    people::table
        .find(id)
        .select(Person::as_select())
        .first(conn)
        .found_or("person")
}

/// Holds a person's row until the transaction ends (PostgreSQL; SQLite has one writer), so that
/// two requests deciding something about the same person (issuing their certificate) run one
/// after the other and the second sees what the first wrote.
pub fn lock(conn: &mut DbConnection, id: &str) -> Result<()> {
    if let DbConnection::Postgres(c) = conn {
        people::table
            .find(id)
            .select(people::id)
            .for_update()
            .first::<String>(c)
            .optional()?;
    }
    Ok(())
}

/// The person with this email, created with `name` if new. Returns whether they were created.
pub fn find_or_create(
    conn: &mut DbConnection,
    email: &str,
    name: &str,
    now: NaiveDateTime,
) -> Result<(Person, bool)> {
    if let Some(existing) = by_email(conn, email)? {
        return Ok((existing, false));
    }
    let email = normalise_email(email);
    if email.is_empty() {
        return Err(Error::invalid("email", "an email address is needed"));
    }
    let person = Person {
        id: new_id(),
        email: Some(email),
        name: Some(name.trim().to_string()),
        is_admin: false,
        reminders_enabled: true,
        erased_at: None,
        created_at: now,
    };
    // Two requests for a new address at once (two sign-in links) must both find one person:
    // DO NOTHING keeps this transaction usable on PostgreSQL, and the other's row is returned.
    let inserted = match conn {
        DbConnection::Sqlite(c) => diesel::insert_into(people::table)
            .values(&person)
            .on_conflict_do_nothing()
            .execute(c)?,
        DbConnection::Postgres(c) => diesel::insert_into(people::table)
            .values(&person)
            .on_conflict_do_nothing()
            .execute(c)?,
    };
    if inserted == 0 {
        let existing = by_email(conn, person.email.as_deref().unwrap_or_default())?.ok_or_else(|| {
            Error::Conflict("this email address changed at the same time; try again".into())
        })?;
        return Ok((existing, false));
    }
    Ok((person, true))
}

/// Grants or removes the administrator role.
pub fn set_admin(conn: &mut DbConnection, id: &str, is_admin: bool) -> Result<()> {
    let changed = diesel::update(people::table.find(id))
        .set(people::is_admin.eq(is_admin))
        .execute(conn)?;
    if changed == 0 {
        return Err(Error::NotFound("person"));
    }
    Ok(())
}

/// Turns non-essential emails on or off.
pub fn set_reminders(conn: &mut DbConnection, id: &str, enabled: bool) -> Result<()> {
    let changed = diesel::update(people::table.find(id))
        .set(people::reminders_enabled.eq(enabled))
        .execute(conn)?;
    if changed == 0 {
        return Err(Error::NotFound("person"));
    }
    Ok(())
}

/// Corrects a person's name, stored as given.
pub fn rename(conn: &mut DbConnection, id: &str, name: &str) -> Result<()> {
    let changed = diesel::update(people::table.find(id))
        .set(people::name.eq(name))
        .execute(conn)?;
    if changed == 0 {
        return Err(Error::NotFound("person"));
    }
    Ok(())
}

/// Corrects a person's email address; another person's address is refused, naming `email`
/// (also when two corrections race for it: the unique index answers).
pub fn set_email(conn: &mut DbConnection, id: &str, email: &str) -> Result<()> {
    const TAKEN: &str = "another person already uses this email address";
    let email = normalise_email(email);
    if by_email(conn, &email)?.is_some_and(|other| other.id != id) {
        return Err(Error::invalid("email", TAKEN));
    }
    let changed = match diesel::update(people::table.find(id))
        .set(people::email.eq(&email))
        .execute(conn)
    {
        Err(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            return Err(Error::invalid("email", TAKEN))
        }
        other => other?,
    };
    if changed == 0 {
        return Err(Error::NotFound("person"));
    }
    Ok(())
}

/// Up to `limit` people after person id `after`, in id order, whose details are not erased:
/// the batches a search reads through.
pub fn batch_after(conn: &mut DbConnection, after: Option<&str>, limit: i64) -> Result<Vec<Person>> {
    let mut query = people::table
        .filter(people::erased_at.is_null())
        .order(people::id)
        .limit(limit)
        .select(Person::as_select())
        .into_boxed();
    if let Some(after) = after {
        query = query.filter(people::id.gt(after.to_string()));
    }
    Ok(query.load(conn)?)
}

/// The people with these email addresses (normalised), in no particular order; for checking
/// a list of many at once.
pub fn by_emails(conn: &mut DbConnection, emails: &[String]) -> Result<Vec<Person>> {
    let mut found = Vec::new();
    // Well under either database's limit on bound parameters.
    for chunk in emails.chunks(1_000) {
        let chunk: Vec<String> = chunk.iter().map(|e| normalise_email(e)).collect();
        found.extend(
            people::table
                .filter(people::email.eq_any(chunk))
                .select(Person::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}

/// The people with these ids, in no particular order (ids not found are left out).
pub fn by_ids(conn: &mut DbConnection, ids: &[String]) -> Result<Vec<Person>> {
    let mut found = Vec::new();
    // Well under either database's limit on bound parameters.
    for chunk in ids.chunks(1_000) {
        found.extend(
            people::table
                .filter(people::id.eq_any(chunk))
                .select(Person::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}
