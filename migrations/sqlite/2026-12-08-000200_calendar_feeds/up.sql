-- Calendar feeds: a person's private subscription address for their sessions
-- (GET /calendar/{secret}.ics). Only a SHA-256 hash of the secret is kept, as for sign-in
-- tokens; a person has at most one live feed (making a new one revokes the old), and revoked
-- rows stay so that the person's page can say when their link stopped.
CREATE TABLE calendar_feeds (
    id TEXT PRIMARY KEY NOT NULL,
    person_id TEXT NOT NULL REFERENCES people (id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE UNIQUE INDEX calendar_feeds_live_of_person ON calendar_feeds (person_id) WHERE revoked_at IS NULL;
