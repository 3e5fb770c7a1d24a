//! Learners' enrolments in cohorts: joining, leaving, and who is on a register.

use super::*;

/// A learner's place in a cohort.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = enrolments)]
pub struct Enrolment {
    /// Its id.
    pub id: String,
    /// The cohort.
    pub cohort_id: String,
    /// The learner.
    pub person_id: String,
    /// From when sessions count for them.
    pub enrolled_on: NaiveDate,
    /// Active, completed or withdrawn (`EnrolmentStatus`).
    pub status: String,
    /// When it was recorded.
    pub created_at: NaiveDateTime,
    /// When the learner left the cohort, if they did; sessions from then on are not theirs.
    pub withdrawn_at: Option<NaiveDateTime>,
    /// Why they left, as the tutor or administrator recorded it.
    pub withdrawal_reason: Option<String>,
}

impl Enrolment {
    /// The status as a type.
    pub fn status(&self) -> Result<EnrolmentStatus> {
        EnrolmentStatus::parse(&self.status)
            .ok_or_else(|| Error::Corrupt(format!("enrolment status {:?}", self.status)))
    }
}

/// Enrols a learner; refused if they are already in the cohort.
pub fn enrol(
    conn: &mut DbConnection,
    cohort_id: &str,
    person_id: &str,
    enrolled_on: NaiveDate,
    now: NaiveDateTime,
) -> Result<Enrolment> {
    let enrolment = Enrolment {
        id: new_id(),
        cohort_id: cohort_id.to_string(),
        person_id: person_id.to_string(),
        enrolled_on,
        status: EnrolmentStatus::Active.as_str().to_string(),
        created_at: now,
        withdrawn_at: None,
        withdrawal_reason: None,
    };
    if enrolment_of(conn, cohort_id, person_id)?.is_some() {
        return Err(Error::Conflict(
            "this person is already enrolled in the cohort".into(),
        ));
    }
    match diesel::insert_into(enrolments::table)
        .values(&enrolment)
        .execute(conn)
    {
        Ok(_) => Ok(enrolment),
        Err(e) if is_unique_violation(&e) => Err(Error::Conflict(
            "this person is already enrolled in the cohort".into(),
        )),
        Err(e) => Err(e.into()),
    }
}

/// The learner's enrolment in the cohort, if any.
pub fn enrolment_of(conn: &mut DbConnection, cohort_id: &str, person_id: &str) -> Result<Option<Enrolment>> {
    Ok(enrolments::table
        .filter(enrolments::cohort_id.eq(cohort_id))
        .filter(enrolments::person_id.eq(person_id))
        .select(Enrolment::as_select())
        .first(conn)
        .optional()?)
}

/// Records that a learner left a cohort, unless they already had; whether this call did.
pub fn withdraw(
    conn: &mut DbConnection,
    enrolment_id: &str,
    reason: &str,
    at: NaiveDateTime,
) -> Result<bool> {
    let changed = diesel::update(
        enrolments::table
            .filter(enrolments::id.eq(enrolment_id))
            .filter(enrolments::withdrawn_at.is_null()),
    )
    .set((
        enrolments::status.eq(EnrolmentStatus::Withdrawn.as_str()),
        enrolments::withdrawn_at.eq(at),
        enrolments::withdrawal_reason.eq(reason),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// The latest day anyone's enrolment in the cohort counts from, if it has learners.
pub fn latest_enrolled_on(conn: &mut DbConnection, cohort_id: &str) -> Result<Option<NaiveDate>> {
    Ok(enrolments::table
        .filter(enrolments::cohort_id.eq(cohort_id))
        .select(diesel::dsl::max(enrolments::enrolled_on))
        .first(conn)?)
}

/// The learners on a session's register: enrolled in its cohort, and not withdrawn before it
/// started (a learner who left keeps their marks on earlier registers, and is on none after).
pub fn on_register(conn: &mut DbConnection, session: &Session) -> Result<Vec<(Enrolment, Person)>> {
    Ok(learners(conn, &session.cohort_id)?
        .into_iter()
        .filter(|(e, _)| e.withdrawn_at.is_none_or(|left| left > session.starts_at))
        .collect())
}

/// Every enrolment of these people with the programme of its cohort, in no particular order.
pub fn enrolments_with_programme_of(
    conn: &mut DbConnection,
    person_ids: &[String],
) -> Result<Vec<(Enrolment, String)>> {
    Ok(enrolments::table
        .inner_join(cohorts::table.inner_join(programme_versions::table))
        .filter(enrolments::person_id.eq_any(person_ids))
        .select((Enrolment::as_select(), programme_versions::programme_id))
        .load(conn)?)
}

/// A cohort's learners with their enrolments, by name.
pub fn learners(conn: &mut DbConnection, cohort_id: &str) -> Result<Vec<(Enrolment, Person)>> {
    Ok(enrolments::table
        .inner_join(people::table)
        .filter(enrolments::cohort_id.eq(cohort_id))
        .order(by_name())
        .select((Enrolment::as_select(), Person::as_select()))
        .load(conn)?)
}

/// Every enrolment of one person.
pub fn enrolments_of_person(conn: &mut DbConnection, person_id: &str) -> Result<Vec<Enrolment>> {
    Ok(enrolments::table
        .filter(enrolments::person_id.eq(person_id))
        .order(enrolments::enrolled_on)
        .select(Enrolment::as_select())
        .load(conn)?)
}

/// A person's enrolments in cohorts of one programme (any version), with the cohorts.
pub fn enrolments_in_programme(
    conn: &mut DbConnection,
    person_id: &str,
    programme_id: &str,
) -> Result<Vec<(Enrolment, Cohort)>> {
    Ok(enrolments::table
        .inner_join(cohorts::table.inner_join(programme_versions::table))
        .filter(enrolments::person_id.eq(person_id))
        .filter(programme_versions::programme_id.eq(programme_id))
        .select((Enrolment::as_select(), Cohort::as_select()))
        .load(conn)?)
}

/// Every cohort's id with the programme version it follows, oldest first: cohorts' records are
/// mostly written in that order, so reading them in that order reads the files nearly in order.
pub fn ids_with_versions(conn: &mut DbConnection) -> Result<Vec<(String, String)>> {
    Ok(cohorts::table
        .order((cohorts::starts_on, cohorts::id))
        .select((cohorts::id, cohorts::programme_version_id))
        .load(conn)?)
}

/// The enrolments in these cohorts, in no particular order.
pub fn enrolments_in(conn: &mut DbConnection, cohort_ids: &[String]) -> Result<Vec<Enrolment>> {
    Ok(enrolments::table
        .filter(enrolments::cohort_id.eq_any(cohort_ids))
        .select(Enrolment::as_select())
        .load(conn)?)
}

/// The enrolments in a cohort of any of these people, in no particular order.
pub fn enrolments_of_people_in(
    conn: &mut DbConnection,
    cohort_id: &str,
    person_ids: &[String],
) -> Result<Vec<Enrolment>> {
    let mut found = Vec::new();
    for chunk in person_ids.chunks(1_000) {
        found.extend(
            enrolments::table
                .filter(enrolments::cohort_id.eq(cohort_id))
                .filter(enrolments::person_id.eq_any(chunk))
                .select(Enrolment::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}
