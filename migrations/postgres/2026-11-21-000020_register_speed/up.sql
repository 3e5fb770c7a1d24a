-- Indexes for the register at the size of a national register (issue 7).

-- The partner register checks the certificates of each person sharing with the partner for
-- validity on a date. With the validity columns in the index it never reads the certificate
-- rows for that check; the index also serves every look-up by person, so it replaces the old one.
CREATE INDEX certificates_person_validity ON certificates (person_id, revoked_at, issued_on, expires_on);
DROP INDEX certificates_person;

-- The scheduler looks for certificates reaching their expiry, and for each one whether its
-- `certificate.expired` event is already in the feed: without these, both scan whole tables,
-- inside a write transaction that every other write then waits for.
CREATE INDEX certificates_expiry ON certificates (expires_on);
CREATE INDEX change_events_certificate ON change_events (certificate_id, kind, occurred_at);
