-- Self check-in by QR code. Each session's check-in secret, made when a tutor first opens its
-- check-in screen; the code shown changes every 30 seconds and is derived from it, so every
-- instance behind a proxy shows and accepts the same code.
CREATE TABLE check_in_secrets (
    session_id TEXT PRIMARY KEY NOT NULL REFERENCES sessions (id),
    secret TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
-- When the learner checked themselves in; kept when a tutor later changes the mark.
ALTER TABLE attendance ADD COLUMN checked_in_at TIMESTAMP;
