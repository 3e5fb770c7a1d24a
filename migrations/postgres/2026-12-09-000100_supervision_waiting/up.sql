-- The supervision sessions waiting for a decision (neither verified nor declined), by
-- placement and date: a supervisor's queue (`/supervision`, GET /v1/supervision?status=pending)
-- and its count read only what waits, not every session of every placement they supervise
-- (about 250 rows, each on its own table page, for the demo's busiest supervisors).
CREATE INDEX supervision_waiting ON supervision_sessions (placement_id, occurred_on, id)
    WHERE verified_by IS NULL AND declined_by IS NULL;
