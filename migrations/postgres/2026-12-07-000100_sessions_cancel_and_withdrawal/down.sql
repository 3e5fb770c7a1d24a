ALTER TABLE enrolments DROP COLUMN withdrawal_reason;
ALTER TABLE enrolments DROP COLUMN withdrawn_at;
ALTER TABLE sessions DROP COLUMN cancel_reason;
ALTER TABLE sessions DROP COLUMN cancelled_at;
