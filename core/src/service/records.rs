//! Recording training: cohorts, enrolments, registers, assessments, placements, supervision.
//! Each function is one use case, run inside the caller's transaction, writing the audit trail
//! and queueing the emails it causes alongside the change.

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::json;

use crate::domain::{AssessmentOutcome, AttendanceStatus, SupervisionFormat};
use crate::notify;
use crate::store::audit::{self, Actor};
use crate::store::cohorts::{self, Cohort, Enrolment, Session};
use crate::store::people::{self, Person};
use crate::store::placements::{self, Placement, SupervisionSession};
use crate::store::records::{self, Assessment, AssessmentInput, Register, RegisterEntry};
use crate::store::{new_id, organisations, programmes, DbConnection};
use crate::{Error, Result};

/// What an administrator asks for when creating a cohort.
#[derive(Debug, Clone)]
pub struct NewCohort {
    /// The programme's code; the cohort follows its current version.
    pub programme_code: String,
    /// The delivering organisation.
    pub organisation_id: String,
    /// The cohort's name.
    pub name: String,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day.
    pub ends_on: NaiveDate,
    /// Tutors by email; new addresses get accounts.
    pub tutor_emails: Vec<String>,
}

/// Creates a cohort on the programme's current version, with its tutors.
pub fn create_cohort(
    conn: &mut DbConnection,
    actor: &Actor,
    new: &NewCohort,
    now: NaiveDateTime,
) -> Result<Cohort> {
    let version = match programmes::current(conn, &new.programme_code) {
        Err(Error::NotFound(_)) => {
            return Err(Error::invalid(
                "programme_code",
                "there is no programme with this code",
            ))
        }
        other => other?,
    };
    if let Err(Error::NotFound(_)) = organisations::get(conn, &new.organisation_id) {
        return Err(Error::invalid(
            "organisation_id",
            "there is no organisation with this id",
        ));
    }
    let mut tutor_ids = Vec::new();
    for email in &new.tutor_emails {
        let placeholder = email.split('@').next().unwrap_or(email);
        let (tutor, _) = people::find_or_create(conn, email, placeholder, now)?;
        tutor_ids.push(tutor.id);
    }
    let cohort = Cohort {
        id: new_id(),
        programme_version_id: version.version_id,
        organisation_id: new.organisation_id.clone(),
        name: new.name.clone(),
        starts_on: new.starts_on,
        ends_on: new.ends_on,
        created_at: now,
    };
    cohorts::create(conn, &cohort, &tutor_ids)?;
    audit::record(
        conn,
        actor,
        "cohort.created",
        ("cohort", &cohort.id),
        json!({ "name": cohort.name, "programme_code": new.programme_code, "tutors": tutor_ids }),
        now,
    )?;
    Ok(cohort)
}

/// What a tutor sends to add a session.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Its title.
    pub title: String,
    /// The module it teaches, if one; must be a module of the cohort's programme.
    pub module_code: Option<String>,
    /// Start (UTC).
    pub starts_at: NaiveDateTime,
    /// End (UTC).
    pub ends_at: NaiveDateTime,
}

/// Adds a session to a cohort.
pub fn add_session(
    conn: &mut DbConnection,
    actor: &Actor,
    cohort: &Cohort,
    new: &NewSession,
    now: NaiveDateTime,
) -> Result<Session> {
    if let Some(code) = &new.module_code {
        let version = programmes::version(conn, &cohort.programme_version_id)?;
        if !version.definition.modules.iter().any(|m| &m.code == code) {
            return Err(Error::invalid(
                "module_code",
                "is not a module of this cohort's programme",
            ));
        }
    }
    let session = Session {
        id: new_id(),
        cohort_id: cohort.id.clone(),
        module_code: new.module_code.clone(),
        title: new.title.clone(),
        starts_at: new.starts_at,
        ends_at: new.ends_at,
        register_version: 0,
        created_at: now,
    };
    cohorts::add_session(conn, &session)?;
    audit::record(
        conn,
        actor,
        "session.created",
        ("session", &session.id),
        json!({ "cohort_id": cohort.id, "title": session.title }),
        now,
    )?;
    Ok(session)
}

/// Enrols a learner by email (adding them if new) and queues their enrolment email.
pub fn enrol(
    conn: &mut DbConnection,
    actor: &Actor,
    cohort: &Cohort,
    email: &str,
    name: &str,
    enrolled_on: NaiveDate,
    now: NaiveDateTime,
) -> Result<(Enrolment, Person)> {
    let (person, _) = people::find_or_create(conn, email, name, now)?;
    let enrolment = cohorts::enrol(conn, &cohort.id, &person.id, enrolled_on, now)?;
    let version = programmes::version(conn, &cohort.programme_version_id)?;
    audit::record(
        conn,
        actor,
        "enrolment.created",
        ("cohort", &cohort.id),
        json!({ "person_id": person.id, "enrolled_on": enrolled_on }),
        now,
    )?;
    notify::queue_email(
        conn,
        format!("enrolment:{}", enrolment.id),
        "enrolment",
        &person,
        json!({
            "name": person.display_name(),
            "cohort_name": cohort.name,
            "programme_title": version.definition.title,
            "starts_on": cohort.starts_on,
            "ends_on": cohort.ends_on,
            "enrolled_on": enrolled_on,
        }),
        now,
    )?;
    Ok((enrolment, person))
}

/// Replaces a session's register, recording who did it.
pub fn take_register(
    conn: &mut DbConnection,
    actor: &Actor,
    recorded_by: &str,
    session_id: &str,
    entries: &[RegisterEntry],
    expected_version: Option<i32>,
    now: NaiveDateTime,
) -> Result<Register> {
    records::lock_register(conn, session_id)?;
    let before = records::register(conn, session_id)?;
    let register = records::replace_register(conn, session_id, entries, expected_version, recorded_by, now)?;
    let marks: Vec<_> = entries
        .iter()
        .map(|e| json!({ "person_id": e.person_id, "status": e.status.as_str() }))
        .collect();
    audit::record(
        conn,
        actor,
        "attendance.replaced",
        ("session", session_id),
        json!({ "from_version": before.version, "to_version": register.version, "records": marks }),
        now,
    )?;
    // A learner marked absent hears from us once per session.
    for entry in entries.iter().filter(|e| e.status == AttendanceStatus::Absent) {
        let was_absent = before
            .records
            .iter()
            .any(|r| r.person_id == entry.person_id && r.status == AttendanceStatus::Absent.as_str());
        if !was_absent {
            let person = people::get(conn, &entry.person_id)?;
            notify::queue_email(
                conn,
                format!("missed:{session_id}:{}", entry.person_id),
                "missed_session",
                &person,
                json!({ "name": person.display_name(), "session_id": session_id }),
                now,
            )?;
        }
    }
    Ok(register)
}

/// Records a module assessment of an enrolled learner.
#[allow(clippy::too_many_arguments)]
pub fn record_assessment(
    conn: &mut DbConnection,
    actor: &Actor,
    cohort: &Cohort,
    person_id: &str,
    module_code: &str,
    outcome: AssessmentOutcome,
    note: Option<String>,
    assessed_by: &str,
    expected_version: Option<i32>,
    now: NaiveDateTime,
) -> Result<Assessment> {
    if cohorts::enrolment_of(conn, &cohort.id, person_id)?.is_none() {
        return Err(Error::NotFound("learner in this cohort"));
    }
    let version = programmes::version(conn, &cohort.programme_version_id)?;
    if !version.definition.modules.iter().any(|m| m.code == module_code) {
        return Err(Error::NotFound("module in this cohort's programme"));
    }
    let assessment = records::record_assessment(
        conn,
        &AssessmentInput {
            cohort_id: cohort.id.clone(),
            person_id: person_id.to_string(),
            module_code: module_code.to_string(),
            outcome,
            note,
            assessed_by: assessed_by.to_string(),
            assessed_on: now.date(),
        },
        expected_version,
        now,
    )?;
    audit::record(
        conn,
        actor,
        "assessment.recorded",
        ("assessment", &assessment.id),
        json!({ "person_id": person_id, "module_code": module_code, "outcome": outcome.as_str(), "version": assessment.version }),
        now,
    )?;
    let person = people::get(conn, person_id)?;
    notify::queue_email(
        conn,
        format!("assessment:{}:{}", assessment.id, assessment.version),
        "assessment_recorded",
        &person,
        json!({ "name": person.display_name(), "module_code": module_code, "outcome": outcome.as_str() }),
        now,
    )?;
    Ok(assessment)
}

/// What is needed to add a placement.
#[derive(Debug, Clone)]
pub struct NewPlacement {
    /// The learner.
    pub person_id: String,
    /// The host organisation.
    pub organisation_id: String,
    /// The supervisor's email; new addresses get accounts.
    pub supervisor_email: String,
    /// First day.
    pub starts_on: NaiveDate,
    /// Last day, if known.
    pub ends_on: Option<NaiveDate>,
}

/// Adds a placement with its supervisor.
pub fn add_placement(
    conn: &mut DbConnection,
    actor: &Actor,
    new: &NewPlacement,
    now: NaiveDateTime,
) -> Result<(Placement, Person)> {
    if let Err(Error::NotFound(_)) = organisations::get(conn, &new.organisation_id) {
        return Err(Error::invalid(
            "organisation_id",
            "there is no organisation with this id",
        ));
    }
    let placeholder = new
        .supervisor_email
        .split('@')
        .next()
        .unwrap_or_default()
        .to_string();
    let (supervisor, _) = people::find_or_create(conn, &new.supervisor_email, &placeholder, now)?;
    if supervisor.id == new.person_id {
        return Err(Error::invalid(
            "supervisor_email",
            "a learner cannot supervise their own placement",
        ));
    }
    let placement = Placement {
        id: new_id(),
        person_id: new.person_id.clone(),
        organisation_id: new.organisation_id.clone(),
        supervisor_id: supervisor.id.clone(),
        starts_on: new.starts_on,
        ends_on: new.ends_on,
        created_at: now,
    };
    placements::create(conn, &placement)?;
    audit::record(
        conn,
        actor,
        "placement.created",
        ("placement", &placement.id),
        json!({ "person_id": placement.person_id, "organisation_id": placement.organisation_id, "supervisor_id": supervisor.id }),
        now,
    )?;
    Ok((placement, supervisor))
}

/// Logs supervision; when the supervisor logs it, it counts as verified at once.
#[allow(clippy::too_many_arguments)]
pub fn log_supervision(
    conn: &mut DbConnection,
    actor: &Actor,
    placement: &Placement,
    logged_by: &str,
    occurred_on: NaiveDate,
    duration_minutes: i32,
    format: SupervisionFormat,
    notes: Option<String>,
    now: NaiveDateTime,
) -> Result<SupervisionSession> {
    if occurred_on < placement.starts_on || placement.ends_on.is_some_and(|end| occurred_on > end) {
        return Err(Error::invalid(
            "occurred_on",
            "must fall within the placement's dates",
        ));
    }
    if occurred_on > now.date() {
        return Err(Error::invalid("occurred_on", "cannot be in the future"));
    }
    let by_supervisor = logged_by == placement.supervisor_id;
    let session = SupervisionSession {
        id: new_id(),
        placement_id: placement.id.clone(),
        occurred_on,
        duration_minutes,
        format: format.as_str().into(),
        notes,
        logged_by: logged_by.into(),
        verified_by: by_supervisor.then(|| placement.supervisor_id.clone()),
        verified_at: by_supervisor.then_some(now),
        created_at: now,
    };
    placements::log_supervision(conn, &session)?;
    audit::record(
        conn,
        actor,
        "supervision.logged",
        ("supervision", &session.id),
        json!({ "placement_id": placement.id, "occurred_on": occurred_on, "duration_minutes": duration_minutes, "format": format.as_str(), "verified": by_supervisor }),
        now,
    )?;
    Ok(session)
}

/// The supervisor verifies a logged supervision session.
pub fn verify_supervision(
    conn: &mut DbConnection,
    actor: &Actor,
    session_id: &str,
    supervisor_id: &str,
    now: NaiveDateTime,
) -> Result<SupervisionSession> {
    let session = placements::verify_supervision(conn, session_id, supervisor_id, now)?;
    audit::record(
        conn,
        actor,
        "supervision.verified",
        ("supervision", session_id),
        json!({}),
        now,
    )?;
    Ok(session)
}
