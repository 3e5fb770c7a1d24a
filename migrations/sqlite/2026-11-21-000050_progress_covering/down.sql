DROP INDEX assessments_achieved;
DROP INDEX practice_hours_verified;
DROP INDEX supervision_sessions_verified;
CREATE INDEX placements_person ON placements (person_id);
DROP INDEX placements_person_id;

CREATE TABLE attendance_with_rowid (
    session_id TEXT NOT NULL REFERENCES sessions (id),
    person_id TEXT NOT NULL REFERENCES people (id),
    status TEXT NOT NULL,
    note TEXT,
    recorded_by TEXT NOT NULL REFERENCES people (id),
    recorded_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (session_id, person_id)
);
INSERT INTO attendance_with_rowid (session_id, person_id, status, note, recorded_by, recorded_at, version)
    SELECT session_id, person_id, status, note, recorded_by, recorded_at, version FROM attendance;
DROP TABLE attendance;
ALTER TABLE attendance_with_rowid RENAME TO attendance;
CREATE INDEX attendance_person ON attendance (person_id);
