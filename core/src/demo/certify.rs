//! One learner's placement (supervision and practice) and, for those who earned it, their
//! certificate, their sharing with the partner and the partner's look-ups.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use rand::seq::IndexedRandom;
use rand::Rng;

use super::batch::Batch;
use super::cohort::CohortContext;
use super::names::{PRACTICE_NOTES, REVOCATION_REASONS};
use super::plan::{at, noon, Generator, Path};
use crate::domain::{LearnerRecord, SupervisionFormat, VerifiedSupervision};
use crate::store::certificates::Certificate;
use crate::store::changes::{kind, NewChange};
use crate::store::consents::Consent;
use crate::store::people::Person;
use crate::store::placements::{Placement, PracticeTime, SupervisionSession};
use crate::store::register::AccessLogEntry;

impl Generator {
    /// A placement once a third of the sessions are held, for those still taking part; returns
    /// the verified supervision and practice minutes it gave.
    pub(super) fn placement(
        &mut self,
        c: &CohortContext<'_>,
        learner_id: &str,
        path: Path,
        last_evidence: &mut NaiveDate,
        batch: &mut Batch,
    ) -> (Vec<VerifiedSupervision>, u32) {
        let (cohort, plan, timetable) = (c.cohort, c.plan, &c.timetable);
        let (ends_on, today, now) = (c.ends_on, c.today, c.now);
        let definition = &c.programme.version.definition;
        let mut supervision = Vec::new();
        let mut practice_minutes = 0u32;
        let placement_from = timetable
            .get(timetable.len() / 3)
            .map_or(cohort.starts_on, |(_, s, _)| s.date());
        if path != Path::Withdraws && placement_from <= today {
            let (host, supervisors) = plan.hosts.choose(&mut self.rng).expect("hosts are planned");
            let supervisor = plan.staff[*supervisors
                .choose(&mut self.rng)
                .expect("each host has supervisors")]
            .id
            .clone();
            let placement_id = self.id();
            let placement_ends = ends_on + Duration::days(28);
            batch.placements.push(Placement {
                id: placement_id.clone(),
                person_id: learner_id.to_string(),
                organisation_id: plan.organisations[*host].id.clone(),
                supervisor_id: supervisor.clone(),
                starts_on: placement_from,
                ends_on: (placement_ends <= today).then_some(placement_ends),
                created_at: noon(placement_from - Duration::days(7)),
                cohort_id: Some(cohort.id.clone()),
                tutor_supervision_allowed_by: None,
            });
            let window = (placement_ends - placement_from).num_days().max(1);
            let wants_supervision = definition.rule.min_supervision_sessions.unwrap_or(2) as usize;
            let sessions_planned = match path {
                Path::Certified => wants_supervision + self.rng.random_range(0..=3),
                _ => self.rng.random_range(1..=wants_supervision),
            };
            for s in 0..sessions_planned {
                let occurred_on =
                    placement_from + Duration::days((s as i64 * window) / sessions_planned as i64 + 1);
                if occurred_on > today {
                    break;
                }
                let verified_at = noon(occurred_on + self.days(1..=6));
                let verified = verified_at <= now && (path == Path::Certified || self.chance(0.7));
                let format = if self.chance(0.7) {
                    SupervisionFormat::Individual
                } else {
                    SupervisionFormat::Group
                };
                let minutes = *[45, 60, 60, 60, 90].choose(&mut self.rng).unwrap_or(&60);
                if verified {
                    supervision.push(VerifiedSupervision {
                        occurred_on,
                        duration_minutes: minutes as u32,
                        format,
                    });
                    *last_evidence = (*last_evidence).max(verified_at.date());
                }
                batch.supervision.push(SupervisionSession {
                    id: self.id(),
                    placement_id: placement_id.clone(),
                    occurred_on,
                    duration_minutes: minutes,
                    format: format.as_str().to_string(),
                    notes: None,
                    logged_by: learner_id.to_string(),
                    verified_by: verified.then(|| supervisor.clone()),
                    verified_at: verified.then_some(verified_at),
                    created_at: noon(occurred_on),
                    declined_by: None,
                    declined_at: None,
                    decline_reason: None,
                });
            }
            if let Some(hours) = definition.rule.min_practice_hours {
                let entries = match path {
                    Path::Certified => (hours as usize).div_ceil(3) + self.rng.random_range(0..=2),
                    _ => self.rng.random_range(1..=(hours as usize).div_ceil(3)),
                };
                for e in 0..entries {
                    let worked_on = placement_from + Duration::days((e as i64 * window) / entries as i64);
                    if worked_on > today {
                        break;
                    }
                    let minutes = *[180, 195, 210, 240].choose(&mut self.rng).unwrap_or(&180);
                    let verified_at = noon(worked_on + self.days(1..=10));
                    let verified = verified_at <= now && (path == Path::Certified || self.chance(0.7));
                    if verified {
                        practice_minutes += minutes as u32;
                        *last_evidence = (*last_evidence).max(verified_at.date());
                    }
                    batch.practice.push(PracticeTime {
                        id: self.id(),
                        placement_id: placement_id.clone(),
                        worked_on,
                        minutes,
                        description: Some(
                            (*PRACTICE_NOTES.choose(&mut self.rng).unwrap_or(&"Peer support")).to_string(),
                        ),
                        logged_by: learner_id.to_string(),
                        verified_by: verified.then(|| supervisor.clone()),
                        verified_at: verified.then_some(verified_at),
                        created_at: noon(worked_on),
                    });
                }
            }
        }
        (supervision, practice_minutes)
    }

    /// The certificate, for those who met every requirement once the cohort was over; with it,
    /// sharing with the partner for about half, and the partner's look-ups.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn certify(
        &mut self,
        c: &CohortContext<'_>,
        learner: Person,
        path: Path,
        record: &LearnerRecord,
        last_evidence: NaiveDate,
        batch: &mut Batch,
        changes: &mut Vec<NewChange>,
    ) {
        let (cohort, plan, programme, tutors, partner_id) =
            (c.cohort, c.plan, c.programme, &c.tutors, c.partner_id);
        let (ends_on, today, now, over) = (c.ends_on, c.today, c.now, c.over);
        let definition = &programme.version.definition;
        let issued_on = last_evidence.max(ends_on) + self.days(14..=42);
        let eligible = definition.rule.evaluate(&definition.modules, record).eligible;
        let learner_name = learner.name.clone();
        let learner_id = learner.id.clone();
        batch.people.push(learner);
        if !(path == Path::Certified && over && eligible && issued_on <= today) {
            return;
        }
        let certificate_id = self.id();
        // Some providers set a three-year refresh on the certificates they issue.
        let expires_on = self
            .chance(0.25)
            .then(|| issued_on.checked_add_months(chrono::Months::new(36)))
            .flatten();
        let revoked = self.chance(0.02);
        let revoked_at = noon(issued_on + self.days(30..=400));
        let revoked_at = (revoked && revoked_at <= now).then_some(revoked_at);
        let number = self.next_number(programme, issued_on.year());
        let verification_code = self.verification_code();
        let issued_at = noon(issued_on);
        changes.push(NewChange {
            kind: kind::CERTIFICATE_ISSUED.to_string(),
            person_id: learner_id.clone(),
            certificate_id: Some(certificate_id.clone()),
            organisation_id: None,
            programme_id: Some(programme.version.programme_id.clone()),
            occurred_at: issued_at,
        });
        if let Some(at) = revoked_at {
            changes.push(NewChange {
                kind: kind::CERTIFICATE_REVOKED.to_string(),
                person_id: learner_id.clone(),
                certificate_id: Some(certificate_id.clone()),
                organisation_id: None,
                programme_id: Some(programme.version.programme_id.clone()),
                occurred_at: at,
            });
        } else if let Some(expiry) = expires_on.filter(|e| *e <= today) {
            changes.push(NewChange {
                kind: kind::CERTIFICATE_EXPIRED.to_string(),
                person_id: learner_id.clone(),
                certificate_id: Some(certificate_id.clone()),
                organisation_id: None,
                programme_id: Some(programme.version.programme_id.clone()),
                occurred_at: at(expiry, 0),
            });
        }
        batch.certificates.push(Certificate {
            id: certificate_id,
            number,
            verification_code,
            person_id: learner_id.clone(),
            programme_id: programme.version.programme_id.clone(),
            programme_version_id: programme.version.version_id.clone(),
            cohort_id: Some(cohort.id.clone()),
            holder_name: learner_name,
            issued_on,
            expires_on,
            revoked_at,
            revoked_reason: revoked_at.map(|_| {
                (*REVOCATION_REASONS
                    .choose(&mut self.rng)
                    .unwrap_or(&"Issued in error"))
                .to_string()
            }),
            issued_by: tutors[0].clone(),
            created_at: issued_at,
            status_list_id: None,
            status_list_index: None,
        });

        // About half of the certified share their status with the partner.
        if !self.chance(0.5) {
            return;
        }
        let granted_at = noon(issued_on + self.days(0..=120));
        if granted_at > now {
            return;
        }
        let withdrawn_at = noon(granted_at.date() + self.days(30..=500));
        let withdrawn_at = (self.chance(0.04) && withdrawn_at <= now).then_some(withdrawn_at);
        changes.push(NewChange {
            kind: kind::CONSENT_GRANTED.to_string(),
            person_id: learner_id.clone(),
            certificate_id: None,
            organisation_id: Some(partner_id.to_string()),
            programme_id: None,
            occurred_at: granted_at,
        });
        if let Some(at) = withdrawn_at {
            changes.push(NewChange {
                kind: kind::CONSENT_WITHDRAWN.to_string(),
                person_id: learner_id.clone(),
                certificate_id: None,
                organisation_id: Some(partner_id.to_string()),
                programme_id: None,
                occurred_at: at,
            });
        }
        batch.consents.push(Consent {
            id: self.id(),
            person_id: learner_id.clone(),
            organisation_id: partner_id.to_string(),
            granted_at,
            withdrawn_at,
        });
        // The partner's HR system looked them up now and then while they shared.
        let until = withdrawn_at.unwrap_or(now);
        let window = (until - granted_at).num_minutes().max(1);
        let mut looks: Vec<NaiveDateTime> = (0..self.rng.random_range(0..=3))
            .map(|_| granted_at + Duration::minutes(self.rng.random_range(0..window)))
            .collect();
        looks.sort();
        for accessed_at in looks {
            batch.access_log.push(AccessLogEntry {
                person_id: learner_id.clone(),
                organisation_id: partner_id.to_string(),
                api_key_id: Some(plan.api_key_id.clone()),
                endpoint: if self.chance(0.8) {
                    "register.search"
                } else {
                    "register.person"
                }
                .to_string(),
                accessed_at,
            });
        }
    }
}
