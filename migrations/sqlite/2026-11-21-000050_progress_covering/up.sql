-- Progress and eligibility read every learner's attendance, achievements, verified supervision
-- and verified practice (issue 7: the whole register in at most 2 s). These make each of those
-- reads one walk along one index, without a look-up in the table for every row.

-- Attendance is stored in register order (session, then learner): a cohort's registers are
-- read, and a register written, as adjacent rows of the table itself, which no longer keeps a
-- separate rowid tree beside its primary key (one b-tree fewer to update for each mark).
CREATE TABLE attendance_by_session (
    session_id TEXT NOT NULL REFERENCES sessions (id),
    person_id TEXT NOT NULL REFERENCES people (id),
    status TEXT NOT NULL,
    note TEXT,
    recorded_by TEXT NOT NULL REFERENCES people (id),
    recorded_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (session_id, person_id)
) WITHOUT ROWID;
INSERT INTO attendance_by_session (session_id, person_id, status, note, recorded_by, recorded_at, version)
    SELECT session_id, person_id, status, note, recorded_by, recorded_at, version FROM attendance;
DROP TABLE attendance;
ALTER TABLE attendance_by_session RENAME TO attendance;
CREATE INDEX attendance_person ON attendance (person_id);

-- Placements by person, with their ids (replaces the index it extends).
CREATE INDEX placements_person_id ON placements (person_id, id);
DROP INDEX placements_person;

-- Verified supervision and practice by placement. SQLite uses a partial index as covering only
-- if the column of its condition is in it.
CREATE INDEX supervision_sessions_verified ON supervision_sessions (placement_id, occurred_on, duration_minutes, format, verified_by)
    WHERE verified_by IS NOT NULL;
CREATE INDEX practice_hours_verified ON practice_hours (placement_id, minutes, verified_by)
    WHERE verified_by IS NOT NULL;

-- Achieved modules by cohort and learner, with their second sign-off.
CREATE INDEX assessments_achieved ON assessments (cohort_id, person_id, module_code, outcome, verified_by)
    WHERE outcome = 'achieved';
