//! A learner's progress in a cohort, and their eligibility for a programme's certificate.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};

use crate::domain::{
    AttendanceRate, Eligibility, LearnerRecord, Requirement, RequirementKind, VerifiedSupervision,
};
use crate::store::cohorts::{self, Cohort, Enrolment};
use crate::store::people::Person;
use crate::store::programmes::{self, ProgrammeVersion};
use crate::store::{self, assessments, attendance, placements, Database, DbConnection};
use crate::Result;

/// Where one learner stands in one cohort.
#[derive(Debug, Clone, PartialEq)]
pub struct LearnerProgress {
    /// The enrolment.
    pub enrolment: Enrolment,
    /// Attendance since enrolment.
    pub attendance: AttendanceRate,
    /// Modules achieved (with second sign-off where needed).
    pub achieved_modules: BTreeSet<String>,
    /// Verified supervision sessions.
    pub supervision: Vec<VerifiedSupervision>,
    /// Verified practice, in minutes.
    pub verified_practice_minutes: u32,
    /// The cohort's programme rule applied to all of the above.
    pub eligibility: Eligibility,
}

impl LearnerProgress {
    /// Verified supervision, in minutes.
    pub fn supervision_minutes(&self) -> u32 {
        self.supervision.iter().map(|s| s.duration_minutes).sum()
    }
}

/// Computes one learner's progress in a cohort that follows `version`.
pub fn learner_progress(
    conn: &mut DbConnection,
    enrolment: &Enrolment,
    version: &ProgrammeVersion,
    now: DateTime<Utc>,
) -> Result<LearnerProgress> {
    let mut progress = learners_progress(conn, &[(enrolment, version)], now)?;
    progress
        .pop()
        .ok_or_else(|| crate::Error::Corrupt("no progress computed for an enrolment".into()))
}

/// Learners per round of queries: keeps each query's list of ids well under the databases'
/// limits on bound parameters.
const LEARNERS_PER_ROUND: usize = 4_000;

/// Computes the progress of many learners, each in a cohort that follows the version given
/// with them, in the same order. Four queries per few thousand learners, not four per learner.
pub fn learners_progress(
    conn: &mut DbConnection,
    learners: &[(&Enrolment, &ProgrammeVersion)],
    now: DateTime<Utc>,
) -> Result<Vec<LearnerProgress>> {
    let mut all = Vec::with_capacity(learners.len());
    for round in learners.chunks(LEARNERS_PER_ROUND) {
        let cohort_ids = distinct(round.iter().map(|(e, _)| &e.cohort_id));
        let person_ids = distinct(round.iter().map(|(e, _)| &e.person_id));
        let registers = attendance::of_cohorts(conn, &cohort_ids)?;
        let mut achievements = assessments::achievements_of(conn, &cohort_ids)?;
        // Modules achieved in an earlier cohort of the same programme count: a learner who
        // leaves and comes back does not start again.
        let all_enrolments = cohorts::enrolments_with_programme_of(conn, &person_ids)?;
        let earlier_cohorts: Vec<String> = distinct(
            all_enrolments
                .iter()
                .map(|(e, _)| &e.cohort_id)
                .filter(|c| !cohort_ids.contains(c)),
        );
        if !earlier_cohorts.is_empty() {
            achievements.extend(assessments::achievements_of(conn, &earlier_cohorts)?);
        }
        let mut enrolments_of: HashMap<&str, Vec<(&Enrolment, &str)>> = HashMap::new();
        for (enrolment, programme_id) in &all_enrolments {
            enrolments_of
                .entry(enrolment.person_id.as_str())
                .or_default()
                .push((enrolment, programme_id.as_str()));
        }
        let supervision = placements::verified_supervision_of_people(conn, &person_ids)?;
        let practice = placements::verified_practice_minutes_of_people(conn, &person_ids)?;
        let mut needs_verification: HashMap<&str, BTreeSet<String>> = HashMap::new();
        for (enrolment, version) in round {
            let needs_verification = needs_verification
                .entry(version.version_id.as_str())
                .or_insert_with(|| modules_needing_verification(version));
            // Attendance is judged in this cohort alone, over the sessions held while the
            // learner was in it.
            let sessions = registers.planned_sessions_for(&enrolment.cohort_id, &enrolment.person_id);
            let left_at = enrolment.withdrawn_at.map(|at| at.and_utc());
            let attendance = AttendanceRate::over_planned(&sessions, enrolment.enrolled_on, left_at, now);
            let mut achieved_modules =
                achievements.achieved_modules(&enrolment.cohort_id, &enrolment.person_id, needs_verification);
            let earlier = enrolments_of
                .get(enrolment.person_id.as_str())
                .into_iter()
                .flatten()
                .filter(|(other, programme_id)| {
                    *programme_id == version.programme_id
                        && other.cohort_id != enrolment.cohort_id
                        && other.enrolled_on <= enrolment.enrolled_on
                });
            for (other, _) in earlier {
                achieved_modules.extend(achievements.achieved_modules(
                    &other.cohort_id,
                    &other.person_id,
                    needs_verification,
                ));
            }
            let supervision = supervision.get(&enrolment.person_id).cloned().unwrap_or_default();
            let verified_practice_minutes = practice.get(&enrolment.person_id).copied().unwrap_or(0);
            let record = LearnerRecord {
                attendance,
                achieved_modules,
                supervision,
                verified_practice_minutes,
            };
            let mut eligibility = version
                .definition
                .rule
                .evaluate(&version.definition.modules, &record);
            if let Some(left_at) = enrolment.withdrawn_at {
                // The day they left as a UK calendar shows it.
                let left_on = crate::domain::local_time::local_date(left_at);
                eligibility.refuse_after_withdrawal(left_on, &version.definition.title);
            }
            all.push(LearnerProgress {
                enrolment: (*enrolment).clone(),
                attendance,
                achieved_modules: record.achieved_modules,
                supervision: record.supervision,
                verified_practice_minutes,
                eligibility,
            });
        }
    }
    Ok(all)
}

fn modules_needing_verification(version: &ProgrammeVersion) -> BTreeSet<String> {
    version
        .definition
        .modules
        .iter()
        .filter(|m| m.requires_verification)
        .map(|m| m.code.clone())
        .collect()
}

fn distinct<'a>(ids: impl Iterator<Item = &'a String>) -> Vec<String> {
    let set: BTreeSet<&String> = ids.collect();
    set.into_iter().cloned().collect()
}

/// Every learner of a cohort with their progress, by name.
pub fn cohort_progress(
    conn: &mut DbConnection,
    cohort: &Cohort,
    now: DateTime<Utc>,
) -> Result<Vec<(Person, LearnerProgress)>> {
    let version = programmes::version(conn, &cohort.programme_version_id)?;
    let learners = cohorts::learners(conn, &cohort.id)?;
    let pairs: Vec<(&Enrolment, &ProgrammeVersion)> = learners.iter().map(|(e, _)| (e, &version)).collect();
    let progress = learners_progress(conn, &pairs, now)?;
    Ok(learners
        .into_iter()
        .map(|(_, person)| person)
        .zip(progress)
        .collect())
}

/// Cohorts per round when judging everyone: a few thousand learners.
const COHORTS_PER_ROUND: usize = 300;

/// How the whole register stands: every enrolment judged against its cohort's programme rule.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RegisterEligibility {
    /// Enrolments judged.
    pub enrolments: usize,
    /// Of which meet every requirement.
    pub eligible: usize,
}

/// Judges every enrolment in every cohort, a few hundred cohorts at a time, handing each
/// learner's progress to `visit` as it goes (so memory stays flat however large the register).
pub fn every_learner_progress(
    conn: &mut DbConnection,
    now: DateTime<Utc>,
    mut visit: impl FnMut(&LearnerProgress),
) -> Result<RegisterEligibility> {
    let versions = versions_by_id(conn)?;
    let cohorts = cohorts::ids_with_versions(conn)?;
    let mut totals = RegisterEligibility::default();
    for round in cohorts.chunks(COHORTS_PER_ROUND) {
        judge_round(conn, round, &versions, now, &mut totals, &mut visit)?;
    }
    Ok(totals)
}

/// Like [`every_learner_progress`], on `workers` connections at once (one thread each), for
/// judging the whole register on a machine with several cores. `visit` may be called from any
/// of them.
pub fn every_learner_progress_in_parallel(
    db: &Database,
    now: DateTime<Utc>,
    workers: usize,
    visit: impl Fn(&LearnerProgress) + Sync,
) -> Result<RegisterEligibility> {
    let (versions, cohorts) =
        db.read(|conn| Ok((versions_by_id(conn)?, cohorts::ids_with_versions(conn)?)))?;
    let rounds: Vec<&[(String, String)]> = cohorts.chunks(COHORTS_PER_ROUND).collect();
    let next_round = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Result<RegisterEligibility>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers.max(1))
            .map(|_| {
                scope.spawn(|| {
                    db.read(|conn| {
                        // A scan of the whole register reads the file through memory mapping
                        // rather than copying each page through the connection's small cache;
                        // switched off again before the connection goes back to the pool.
                        store::map_reads(conn, WHOLE_REGISTER_MAPPING)?;
                        let mut totals = RegisterEligibility::default();
                        let judged = loop {
                            // Workers take the next round as they finish one, so none idles.
                            let index = next_round.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(round) = rounds.get(index) else {
                                break Ok(totals);
                            };
                            if let Err(e) =
                                judge_round(conn, round, &versions, now, &mut totals, &mut |p| visit(p))
                            {
                                break Err(e);
                            }
                        };
                        store::map_reads(conn, 0)?;
                        judged
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join().unwrap_or_else(|_| {
                    Err(crate::Error::Unavailable("an eligibility worker stopped".into()))
                })
            })
            .collect()
    });
    let mut totals = RegisterEligibility::default();
    for part in results {
        let part = part?;
        totals.enrolments += part.enrolments;
        totals.eligible += part.eligible;
    }
    Ok(totals)
}

/// How much of the file a whole-register scan maps (SQLite maps at most the file's size).
const WHOLE_REGISTER_MAPPING: u64 = 1 << 36;

fn versions_by_id(conn: &mut DbConnection) -> Result<HashMap<String, ProgrammeVersion>> {
    Ok(programmes::all_versions(conn)?
        .into_iter()
        .map(|v| (v.version_id.clone(), v))
        .collect())
}

/// Judges the learners of one round of cohorts.
fn judge_round(
    conn: &mut DbConnection,
    round: &[(String, String)],
    versions: &HashMap<String, ProgrammeVersion>,
    now: DateTime<Utc>,
    totals: &mut RegisterEligibility,
    visit: &mut dyn FnMut(&LearnerProgress),
) -> Result<()> {
    let cohort_ids: Vec<String> = round.iter().map(|(id, _)| id.clone()).collect();
    let version_of: HashMap<&str, &str> = round.iter().map(|(id, v)| (id.as_str(), v.as_str())).collect();
    let enrolments = cohorts::enrolments_in(conn, &cohort_ids)?;
    let mut pairs = Vec::with_capacity(enrolments.len());
    for enrolment in &enrolments {
        let version = version_of
            .get(enrolment.cohort_id.as_str())
            .and_then(|v| versions.get(*v))
            .ok_or_else(|| {
                crate::Error::Corrupt(format!("cohort {} has no programme version", enrolment.cohort_id))
            })?;
        pairs.push((enrolment, version));
    }
    for progress in learners_progress(conn, &pairs, now)? {
        totals.enrolments += 1;
        totals.eligible += usize::from(progress.eligibility.eligible);
        visit(&progress);
    }
    Ok(())
}

/// A person's eligibility for a programme's certificate.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgrammeEligibility {
    /// The cohort whose record was judged, if the person is enrolled in one.
    pub cohort_id: Option<String>,
    /// The programme version that cohort follows.
    pub programme_version_id: Option<String>,
    /// The answer.
    pub eligibility: Eligibility,
}

/// Judges a person against a programme. With several cohorts of the programme, the first one
/// in which they are eligible counts, else their most recent enrolment. Each cohort is judged
/// by the programme version it follows, so a new version never changes an existing learner's
/// requirements. With `within`, only enrolments in those cohorts are judged.
pub fn eligibility_for(
    conn: &mut DbConnection,
    person_id: &str,
    programme_code: &str,
    within: Option<&[String]>,
    now: DateTime<Utc>,
) -> Result<ProgrammeEligibility> {
    let current = programmes::current(conn, programme_code)?;
    let mut enrolments = cohorts::enrolments_in_programme(conn, person_id, &current.programme_id)?;
    if let Some(cohorts) = within {
        enrolments.retain(|(e, _)| cohorts.contains(&e.cohort_id));
    }
    enrolments.sort_by_key(|(e, _)| std::cmp::Reverse(e.enrolled_on));
    let mut judged = Vec::new();
    for (enrolment, cohort) in enrolments {
        let version = programmes::version(conn, &cohort.programme_version_id)?;
        let progress = learner_progress(conn, &enrolment, &version, now)?;
        if progress.eligibility.eligible {
            return Ok(ProgrammeEligibility {
                cohort_id: Some(cohort.id),
                programme_version_id: Some(cohort.programme_version_id),
                eligibility: progress.eligibility,
            });
        }
        judged.push((cohort, progress));
    }
    Ok(match judged.into_iter().next() {
        Some((cohort, progress)) => ProgrammeEligibility {
            cohort_id: Some(cohort.id),
            programme_version_id: Some(cohort.programme_version_id),
            eligibility: progress.eligibility,
        },
        None => ProgrammeEligibility {
            cohort_id: None,
            programme_version_id: None,
            eligibility: Eligibility {
                eligible: false,
                requirements: vec![Requirement {
                    kind: RequirementKind::Enrolment,
                    required: 1.0,
                    actual: 0.0,
                    met: false,
                    explanation: format!(
                        "Not enrolled in a {} cohort yet. A tutor can enrol you.",
                        current.definition.title
                    ),
                }],
            },
        },
    })
}
