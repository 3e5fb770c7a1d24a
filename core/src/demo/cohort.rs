//! One cohort: its timetable, its learners' enrolments, register marks and assessments.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use rand::seq::IndexedRandom;
use rand::Rng;

use super::batch::Batch;
use super::names::EXCUSE_NOTES;
use super::plan::{at, attendance_of, noon, CohortPlan, Generator, Path, Plan, ProgrammeInfo};
use crate::domain::{AttendanceStatus, LearnerRecord};
use crate::store::assessments::Assessment;
use crate::store::attendance::AttendanceRecord;
use crate::store::changes::NewChange;
use crate::store::cohorts::{Cohort, CohortTutor, Enrolment, Session};

/// What every learner of a cohort shares.
pub(super) struct CohortContext<'a> {
    pub cohort: &'a CohortPlan,
    pub plan: &'a Plan,
    pub programme: &'a ProgrammeInfo,
    pub partner_id: &'a str,
    /// Its two tutors' ids.
    pub tutors: [String; 2],
    /// Each session's id, start and module.
    pub timetable: Vec<(String, NaiveDateTime, String)>,
    /// The sessions held by today, by position in the timetable.
    pub held: Vec<usize>,
    /// Whether the cohort is over (eight weeks after its last session).
    pub over: bool,
    /// Whether a session has been held.
    pub started: bool,
    pub ends_on: NaiveDate,
    pub today: NaiveDate,
    pub now: NaiveDateTime,
}

impl Generator {
    /// Generates one cohort's learners and everything about them.
    pub fn fill_cohort(
        &mut self,
        cohort: &CohortPlan,
        plan: &Plan,
        programmes: &[ProgrammeInfo],
        partner_id: &str,
        batch: &mut Batch,
        changes: &mut Vec<NewChange>,
    ) {
        let today = self.today;
        let now = noon(today);
        let programme = &programmes[cohort.programme];
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
            batch.sessions.push(Session {
                id,
                cohort_id: cohort.id.clone(),
                module_code: Some(planned.module_code.clone()),
                title: planned.title.clone(),
                starts_at,
                ends_at,
                register_version: i32::from(starts_at <= now),
                created_at: created,
                cancelled_at: None,
                cancel_reason: None,
            });
        }
        let last_day = timetable.last().map_or(cohort.starts_on, |(_, s, _)| s.date());
        let ends_on = last_day;
        batch.cohorts.push(Cohort {
            id: cohort.id.clone(),
            programme_version_id: programme.version.version_id.clone(),
            organisation_id: plan.organisations[1 + cohort.provider].id.clone(),
            name: cohort.name.clone(),
            starts_on: cohort.starts_on,
            ends_on,
            created_at: created,
        });
        for tutor in &tutors {
            batch.tutors.push(CohortTutor {
                cohort_id: cohort.id.clone(),
                person_id: tutor.clone(),
            });
        }
        let held: Vec<usize> = (0..timetable.len()).filter(|&k| timetable[k].1 <= now).collect();
        // A cohort is over eight weeks after its last session.
        let over = last_day + Duration::days(56) <= today;
        let started = !held.is_empty();

        let context = CohortContext {
            cohort,
            plan,
            programme,
            partner_id,
            tutors,
            timetable,
            held,
            over,
            started,
            ends_on,
            today,
            now,
        };
        for _ in 0..cohort.size {
            self.learner(&context, batch, changes);
        }
    }

    /// One learner in a cohort: their enrolment, register marks and assessments, then their
    /// placement and, if they earned it, their certificate.
    fn learner(&mut self, c: &CohortContext<'_>, batch: &mut Batch, changes: &mut Vec<NewChange>) {
        let (cohort, programme, tutors, timetable, held) =
            (c.cohort, c.programme, &c.tutors, &c.timetable, &c.held);
        let (started, over, today, now) = (c.started, c.over, c.today, c.now);
        let definition = &programme.version.definition;
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
        batch.enrolments.push(Enrolment {
            id: self.id(),
            cohort_id: cohort.id.clone(),
            person_id: learner.id.clone(),
            enrolled_on,
            status: status.to_string(),
            created_at: noon(enrolled_on),
            // A learner who leaves does so the day before the first session they miss.
            withdrawn_at: (status == "withdrawn").then(|| {
                timetable
                    .get(leaves_after)
                    .map_or(now, |(_, starts_at, _)| *starts_at - Duration::days(1))
            }),
            withdrawal_reason: (status == "withdrawn").then(|| "Left the course".to_string()),
        });

        // The register: mostly present, some late, absent or excused.
        let mut marks: Vec<Option<AttendanceStatus>> = vec![None; timetable.len()];
        let weak = path == Path::FallsShort && self.chance(0.5);
        for &k in held {
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
            while !attendance_of(timetable, &marks, enrolled_on, now).meets(minimum) {
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
            batch.attendance.push(AttendanceRecord {
                session_id: session_id.clone(),
                person_id: learner.id.clone(),
                status: mark.as_str().to_string(),
                note: note.map(str::to_string),
                recorded_by: tutors[k % 2].clone(),
                recorded_at: *starts_at + Duration::hours(programme.session_hours),
                version: 1,
                checked_in_at: None,
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
            batch.assessments.push(Assessment {
                id: self.id(),
                cohort_id: cohort.id.clone(),
                person_id: learner.id.clone(),
                module_code: module.code.clone(),
                outcome: if achieves { "achieved" } else { "not_yet_achieved" }.to_string(),
                note: (!achieves).then(|| "Agreed a plan to resubmit with the tutor".to_string()),
                assessed_by: tutors[0].clone(),
                assessed_on,
                verified_by: verified.then(|| tutors[1].clone()),
                verified_on: verified.then_some(verified_on),
                version: if verified { 2 } else { 1 },
                updated_at: noon(if verified { verified_on } else { assessed_on }),
            });
        }
        let (supervision, practice_minutes) = self.placement(c, &learner.id, path, &mut last_evidence, batch);
        let record = LearnerRecord {
            attendance: attendance_of(timetable, &marks, enrolled_on, now),
            achieved_modules: achieved,
            supervision,
            verified_practice_minutes: practice_minutes,
        };
        self.certify(c, learner, path, &record, last_evidence, batch, changes);
    }
}
