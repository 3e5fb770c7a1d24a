-- Progress and eligibility read every learner's attendance, achievements, verified supervision
-- and verified practice (issue 7). These let each of those reads be an index-only scan.

-- A register's marks by session, with their status.
CREATE INDEX attendance_marks ON attendance (session_id) INCLUDE (person_id, status);

-- Placements by person, with their ids (replaces the index it extends).
CREATE INDEX placements_person_id ON placements (person_id) INCLUDE (id);
DROP INDEX placements_person;

-- Verified supervision and practice by placement.
CREATE INDEX supervision_sessions_verified ON supervision_sessions (placement_id)
    INCLUDE (occurred_on, duration_minutes, format) WHERE verified_by IS NOT NULL;
CREATE INDEX practice_hours_verified ON practice_hours (placement_id)
    INCLUDE (minutes) WHERE verified_by IS NOT NULL;

-- Achieved modules by cohort, with their learner and second sign-off.
CREATE INDEX assessments_achieved ON assessments (cohort_id)
    INCLUDE (person_id, module_code, verified_by) WHERE outcome = 'achieved';
