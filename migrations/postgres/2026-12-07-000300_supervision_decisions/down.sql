ALTER TABLE supervision_sessions DROP COLUMN decline_reason;
ALTER TABLE supervision_sessions DROP COLUMN declined_at;
ALTER TABLE supervision_sessions DROP COLUMN declined_by;
