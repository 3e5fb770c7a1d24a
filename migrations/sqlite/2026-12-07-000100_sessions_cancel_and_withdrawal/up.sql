-- A session can be called off: it stays on the timetable, marked cancelled with a reason, and
-- counts in nobody's attendance. A learner can withdraw from a cohort: their history stays,
-- and sessions after they left are not theirs.
ALTER TABLE sessions ADD COLUMN cancelled_at TIMESTAMP;
ALTER TABLE sessions ADD COLUMN cancel_reason TEXT;
ALTER TABLE enrolments ADD COLUMN withdrawn_at TIMESTAMP;
ALTER TABLE enrolments ADD COLUMN withdrawal_reason TEXT;
