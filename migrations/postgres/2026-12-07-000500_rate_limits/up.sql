-- Per-client limits (unknown verification codes, sign-in links) counted once for every instance
-- behind a load balancer: one row per limit and key (a hash: keys are client addresses and
-- email addresses), counting events in a fixed window that ends at expires_at. Each check is one
-- upsert on the primary key; expired rows are deleted now and then through the index.
-- UNLOGGED: no write-ahead log for counters that matter for minutes (a crash of the database
-- server empties the table, which only forgives the limits once).
CREATE UNLOGGED TABLE rate_limits (
    key TEXT PRIMARY KEY NOT NULL,
    count INTEGER NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX rate_limits_expires_at ON rate_limits (expires_at);
