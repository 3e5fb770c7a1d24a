DROP INDEX assessments_achieved;
DROP INDEX practice_hours_verified;
DROP INDEX supervision_sessions_verified;
CREATE INDEX placements_person ON placements (person_id);
DROP INDEX placements_person_id;
DROP INDEX attendance_marks;
