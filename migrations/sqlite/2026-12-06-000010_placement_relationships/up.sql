-- A placement is made within a cohort: its tutors see it, tutors of other cohorts do not.
-- An administrator may let a tutor of the learner supervise; the placement records who did.
ALTER TABLE placements ADD COLUMN cohort_id TEXT REFERENCES cohorts (id);
ALTER TABLE placements ADD COLUMN tutor_supervision_allowed_by TEXT REFERENCES people (id);
-- Placements made before now belong to the learner's most recent cohort.
UPDATE placements SET cohort_id = (
    SELECT e.cohort_id FROM enrolments e
    WHERE e.person_id = placements.person_id
    ORDER BY e.enrolled_on DESC, e.id DESC
    LIMIT 1
);
CREATE INDEX placements_cohort ON placements (cohort_id);
