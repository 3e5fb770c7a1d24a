-- A supervisor may decline a logged supervision session, with a reason the learner sees.
-- A session is pending (neither column set), verified (verified_by) or declined (declined_by);
-- declined sessions never count towards a certificate.
ALTER TABLE supervision_sessions ADD COLUMN declined_by TEXT REFERENCES people (id);
ALTER TABLE supervision_sessions ADD COLUMN declined_at TIMESTAMP;
ALTER TABLE supervision_sessions ADD COLUMN decline_reason TEXT;
