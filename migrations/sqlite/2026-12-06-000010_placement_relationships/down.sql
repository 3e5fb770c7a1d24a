DROP INDEX placements_cohort;
ALTER TABLE placements DROP COLUMN tutor_supervision_allowed_by;
ALTER TABLE placements DROP COLUMN cohort_id;
