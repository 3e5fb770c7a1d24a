-- Per-client limits shared by every instance (see the PostgreSQL migration). A SQLite database
-- has one instance, which counts in memory; the table is here so that both schemas are one.
CREATE TABLE rate_limits (
    key TEXT PRIMARY KEY NOT NULL,
    count INTEGER NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX rate_limits_expires_at ON rate_limits (expires_at);
