//! Spreadsheets for tutors: a cohort's progress and a session's register as CSV files, for
//! the cohort's tutors and administrators only (the same access as the records they hold).

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use crate::access::Caller;
use crate::domain::local_time::uk_time;
use crate::domain::{AttendanceStatus, CertificateStatus, EnrolmentStatus};
use crate::export::csv;
use crate::service::attendance;
use crate::store::certificates::{self, CertificateFilter};
use crate::store::{cohorts, DbConnection};
use crate::Result;

/// A file to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvFile {
    /// What to save it as.
    pub file_name: String,
    /// Its bytes: UTF-8 with a byte order mark (see `export::csv`).
    pub bytes: Vec<u8>,
}

/// The columns of a cohort's progress.
pub const PROGRESS_HEADER: [&str; 12] = [
    "Name",
    "Email",
    "Enrolment",
    "Sessions attended",
    "Sessions counted",
    "Excused absences",
    "Attendance %",
    "Modules achieved",
    "Which modules",
    "Verified supervision hours",
    "Eligible for the certificate",
    "Certificate number",
];

/// The columns of a session's register.
pub const REGISTER_HEADER: [&str; 5] = ["Name", "Email", "Mark", "Marked at (UK time)", "Note"];

/// The most certificates of one cohort read for its progress (far more than it has learners).
const CERTIFICATES_OF_COHORT: i64 = 100_000;

/// Every learner of a cohort with their progress, one row each, by name: attendance as the
/// certificate rule counts it (excused absences leave the sessions counted), modules achieved,
/// verified supervision, whether they are eligible, and their valid certificate's number.
pub fn cohort_progress(
    conn: &mut DbConnection,
    caller: &Caller,
    cohort_id: &str,
    now: DateTime<Utc>,
) -> Result<CsvFile> {
    let learners = crate::service::cohorts::progress(conn, caller, cohort_id, now)?;
    let cohort = cohorts::get(conn, cohort_id)?;
    let today = now.date_naive();
    let filter = CertificateFilter {
        cohort_id: Some(cohort_id.to_string()),
        status: Some(CertificateStatus::Valid),
        ..CertificateFilter::default()
    };
    let mut numbers: HashMap<String, Vec<String>> = HashMap::new();
    for certificate in certificates::list(conn, &filter, today, None, CERTIFICATES_OF_COHORT)? {
        numbers
            .entry(certificate.person_id)
            .or_default()
            .push(certificate.number);
    }
    let rows = learners.into_iter().map(|(person, progress)| {
        let rate = progress.attendance;
        let percent = rate
            .permille_floor()
            .map(|p| format!("{}.{}", p / 10, p % 10))
            .unwrap_or_default();
        let enrolment = match progress.enrolment.status() {
            Ok(EnrolmentStatus::Active) => "Active",
            Ok(EnrolmentStatus::Completed) => "Completed",
            Ok(EnrolmentStatus::Withdrawn) => "Withdrawn",
            Err(_) => "",
        };
        let minutes = progress.supervision_minutes();
        vec![
            person.display_name().to_string(),
            person.email.clone().unwrap_or_default(),
            enrolment.to_string(),
            rate.attended.to_string(),
            rate.counted.to_string(),
            rate.excused.to_string(),
            percent,
            progress.achieved_modules.len().to_string(),
            progress
                .achieved_modules
                .iter()
                .cloned()
                .collect::<Vec<_>>()
                .join(" "),
            format!("{}.{}", minutes / 60, (minutes % 60) * 10 / 60),
            if progress.eligibility.eligible {
                "Yes"
            } else {
                "No"
            }
            .to_string(),
            numbers.get(&person.id).map(|n| n.join(" ")).unwrap_or_default(),
        ]
    });
    Ok(CsvFile {
        file_name: csv::file_name("progress", &cohort.name, today),
        bytes: csv::write(&PROGRESS_HEADER, rows)?,
    })
}

/// A session's register, one row per learner on it, by name: their mark (or "Not marked"),
/// when it was taken in UK time, and the tutor's note.
pub fn register(conn: &mut DbConnection, caller: &Caller, session_id: &str) -> Result<CsvFile> {
    let sheet = attendance::read(conn, caller, session_id)?;
    let session = cohorts::session(conn, session_id)?;
    let marks: HashMap<&str, &crate::store::attendance::AttendanceRecord> =
        sheet.records.iter().map(|r| (r.person_id.as_str(), r)).collect();
    let rows = sheet.learners.iter().map(|person| {
        let mark = marks.get(person.id.as_str());
        let words = match mark.and_then(|m| AttendanceStatus::parse(&m.status)) {
            Some(AttendanceStatus::Present) => "Present",
            Some(AttendanceStatus::Late) => "Late",
            Some(AttendanceStatus::Absent) => "Absent",
            Some(AttendanceStatus::Excused) => "Excused",
            None => "Not marked",
        };
        vec![
            person.display_name().to_string(),
            person.email.clone().unwrap_or_default(),
            words.to_string(),
            mark.map(|m| uk_time(m.recorded_at)).unwrap_or_default(),
            mark.and_then(|m| m.note.clone()).unwrap_or_default(),
        ]
    });
    let file_name = csv::file_name("register", &session.title, session.starts_at.date());
    let bytes = csv::write(&REGISTER_HEADER, rows)?;
    Ok(CsvFile { file_name, bytes })
}
