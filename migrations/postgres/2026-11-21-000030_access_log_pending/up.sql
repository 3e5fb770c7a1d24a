-- A register page shows a partner up to 50 people. Writing 50 access-log rows (each with an
-- index entry and three foreign-key checks) inside every page's request made the log the
-- bound on the register (issue 7). Each page now writes one row here, with the people it
-- showed; a background writer spreads these rows into `access_log` in large batches, and
-- anyone reading a person's log spreads what is waiting first, so no look-up is ever missing.
CREATE TABLE access_log_pending (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    organisation_id TEXT NOT NULL,
    api_key_id TEXT,
    endpoint TEXT NOT NULL,
    accessed_at TIMESTAMP NOT NULL,
    -- The ids of the people shown, separated by spaces, in the order shown.
    person_ids TEXT NOT NULL
);
