//! What the demo decides before any learner: organisations, staff, cohorts and their
//! timetables; and the generator's own state (its random numbers, certificate sequences).

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

use super::names::{FIRST_NAMES, HOSTS_ONLY, PLACES, PROVIDERS, SURNAMES};
use super::{DemoOptions, ADMIN_EMAIL, EMAIL_DOMAIN, PARTNER_NAME};
use crate::domain::certificate::certificate_number;
use crate::domain::{AttendanceRate, AttendanceStatus, HeldSession};
use crate::store::certificates::{self, new_verification_code};
use crate::store::organisations::Organisation;
use crate::store::people::Person;
use crate::store::{programmes, DbConnection};
use crate::Result;

/// A session of a programme's usual timetable.
pub(super) struct PlannedSession {
    pub module_code: String,
    pub title: String,
}

/// A seeded programme as the generator needs it.
pub(super) struct ProgrammeInfo {
    pub version: programmes::ProgrammeVersion,
    pub timetable: Vec<PlannedSession>,
    /// Days between sessions.
    pub interval_days: i64,
    /// Hours per session.
    pub session_hours: i64,
}

impl ProgrammeInfo {
    pub fn new(version: programmes::ProgrammeVersion) -> Self {
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

    pub fn code(&self) -> &str {
        &self.version.definition.code
    }
}

/// A cohort to generate.
pub(super) struct CohortPlan {
    pub id: String,
    pub programme: usize,
    pub provider: usize,
    pub tutors: [usize; 2],
    pub starts_on: NaiveDate,
    pub size: usize,
    pub name: String,
}

/// Organisations, staff and cohorts, decided before any learner.
pub(super) struct Plan {
    pub partner: Organisation,
    /// The partner first, then providers, then placement hosts.
    pub organisations: Vec<Organisation>,
    /// Tutors, then supervisors, then the administrator.
    pub staff: Vec<Person>,
    /// Indexes into `organisations` of placement hosts, with indexes into `staff` of their
    /// supervisors.
    pub hosts: Vec<(usize, Vec<usize>)>,
    pub cohorts: Vec<CohortPlan>,
    pub api_key_id: String,
    pub first_tutor_email: String,
}

/// How a learner's time in a cohort goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Path {
    /// Attends well, completes everything, and is certified once the cohort is over.
    Certified,
    /// Completes the cohort but falls short somewhere (attendance, a module, supervision).
    FallsShort,
    /// Leaves part-way.
    Withdraws,
}

pub(super) struct Generator {
    pub rng: StdRng,
    pub today: NaiveDate,
    people_made: usize,
    codes: HashSet<String>,
    pub sequences: HashMap<(String, i32), i32>,
}

impl Generator {
    pub fn new(options: &DemoOptions) -> Self {
        Generator {
            rng: StdRng::seed_from_u64(options.seed),
            today: options.today,
            people_made: 0,
            codes: HashSet::new(),
            sequences: HashMap::new(),
        }
    }

    pub fn id(&mut self) -> String {
        let bytes: [u8; 16] = self.rng.random();
        uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.rng.random_bool(p)
    }

    pub fn days(&mut self, range: std::ops::RangeInclusive<i64>) -> Duration {
        Duration::days(self.rng.random_range(range))
    }

    pub fn person(&mut self, created_at: NaiveDateTime) -> Person {
        let first = *FIRST_NAMES.choose(&mut self.rng).unwrap_or(&"Alex");
        let last = *SURNAMES.choose(&mut self.rng).unwrap_or(&"Smith");
        self.people_made += 1;
        let email = format!(
            "{}.{}.{}@{EMAIL_DOMAIN}",
            email_part(first),
            email_part(last),
            self.people_made
        );
        Person {
            id: self.id(),
            email: Some(email),
            name: Some(format!("{first} {last}")),
            is_admin: false,
            reminders_enabled: self.chance(0.9),
            erased_at: None,
            created_at,
        }
    }

    pub fn plan(&mut self, programmes: &[ProgrammeInfo], learners: usize) -> Plan {
        let start = self.today - Duration::days(5 * 365);
        let created = noon(start - Duration::days(60));
        let partner = Organisation {
            id: self.id(),
            name: PARTNER_NAME.into(),
            created_at: created,
        };
        let mut organisations = vec![partner.clone()];
        for name in PROVIDERS.iter().chain(HOSTS_ONLY) {
            organisations.push(Organisation {
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
        staff.push(Person {
            id: self.id(),
            email: Some(ADMIN_EMAIL.into()),
            name: Some("Demo Administrator".into()),
            is_admin: true,
            reminders_enabled: true,
            erased_at: None,
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
            .and_then(|&i| staff[i].email.clone())
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

    pub fn next_number(&mut self, programme: &ProgrammeInfo, year: i32) -> String {
        let last = self
            .sequences
            .entry((programme.version.programme_id.clone(), year))
            .or_insert(0);
        *last += 1;
        certificate_number(programme.code(), year, *last)
    }

    pub fn verification_code(&mut self) -> String {
        loop {
            let code = new_verification_code();
            if self.codes.insert(code.clone()) {
                return code;
            }
        }
    }

    /// Moves each programme's certificate sequence on past the numbers the demo gave.
    pub fn save_sequences(&self, conn: &mut DbConnection) -> Result<()> {
        for ((programme_id, year), last) in &self.sequences {
            certificates::continue_sequence(conn, programme_id, *year, *last)?;
        }
        Ok(())
    }
}

/// The attendance rate the generated marks give, by the real rule.
pub(super) fn attendance_of(
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

pub(super) fn noon(date: NaiveDate) -> NaiveDateTime {
    at(date, 12)
}

pub(super) fn at(date: NaiveDate, hour: i64) -> NaiveDateTime {
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
