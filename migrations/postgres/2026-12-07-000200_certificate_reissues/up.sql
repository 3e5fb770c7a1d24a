-- A certificate reissued in the holder's current name (after they corrected it): the same
-- number and verification code, a new PDF and credential. Each reissue is kept, oldest first;
-- the names are personal data and are cleared when the holder's details are erased.
CREATE TABLE certificate_reissues (
    id TEXT PRIMARY KEY NOT NULL,
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    previous_name TEXT,
    new_name TEXT,
    reissued_by TEXT NOT NULL,
    reissued_at TIMESTAMP NOT NULL
);
CREATE INDEX certificate_reissues_certificate ON certificate_reissues (certificate_id, reissued_at);
