-- Peertrack's schema, SQLite dialect. migrations/postgres holds the same tables and columns;
-- a test compares the two. Ids are UUID text; timestamps are UTC; dates are YYYY-MM-DD.

CREATE TABLE organisations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX organisations_name ON organisations (name);

CREATE TABLE people (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT,
    name TEXT,
    is_admin BOOLEAN NOT NULL DEFAULT FALSE,
    reminders_enabled BOOLEAN NOT NULL DEFAULT TRUE,
    erased_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX people_email ON people (email);

CREATE TABLE programmes (
    id TEXT PRIMARY KEY NOT NULL,
    code TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX programmes_code ON programmes (code);

CREATE TABLE programme_versions (
    id TEXT PRIMARY KEY NOT NULL,
    programme_id TEXT NOT NULL REFERENCES programmes (id),
    version INTEGER NOT NULL,
    title TEXT NOT NULL,
    definition TEXT NOT NULL,
    published_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX programme_versions_number ON programme_versions (programme_id, version);

CREATE TABLE cohorts (
    id TEXT PRIMARY KEY NOT NULL,
    programme_version_id TEXT NOT NULL REFERENCES programme_versions (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX cohorts_organisation ON cohorts (organisation_id);

CREATE TABLE cohort_tutors (
    cohort_id TEXT NOT NULL REFERENCES cohorts (id),
    person_id TEXT NOT NULL REFERENCES people (id),
    PRIMARY KEY (cohort_id, person_id)
);
CREATE INDEX cohort_tutors_person ON cohort_tutors (person_id);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    cohort_id TEXT NOT NULL REFERENCES cohorts (id),
    module_code TEXT,
    title TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    register_version INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_cohort_start ON sessions (cohort_id, starts_at);
CREATE INDEX sessions_start ON sessions (starts_at);

CREATE TABLE enrolments (
    id TEXT PRIMARY KEY NOT NULL,
    cohort_id TEXT NOT NULL REFERENCES cohorts (id),
    person_id TEXT NOT NULL REFERENCES people (id),
    enrolled_on DATE NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX enrolments_cohort_person ON enrolments (cohort_id, person_id);
CREATE INDEX enrolments_person ON enrolments (person_id);

CREATE TABLE attendance (
    session_id TEXT NOT NULL REFERENCES sessions (id),
    person_id TEXT NOT NULL REFERENCES people (id),
    status TEXT NOT NULL,
    note TEXT,
    recorded_by TEXT NOT NULL REFERENCES people (id),
    recorded_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (session_id, person_id)
);
CREATE INDEX attendance_person ON attendance (person_id);

CREATE TABLE assessments (
    id TEXT PRIMARY KEY NOT NULL,
    cohort_id TEXT NOT NULL REFERENCES cohorts (id),
    person_id TEXT NOT NULL REFERENCES people (id),
    module_code TEXT NOT NULL,
    outcome TEXT NOT NULL,
    note TEXT,
    assessed_by TEXT NOT NULL REFERENCES people (id),
    assessed_on DATE NOT NULL,
    verified_by TEXT REFERENCES people (id),
    verified_on DATE,
    version INTEGER NOT NULL DEFAULT 1,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX assessments_learner_module ON assessments (cohort_id, person_id, module_code);
CREATE INDEX assessments_person ON assessments (person_id);

CREATE TABLE placements (
    id TEXT PRIMARY KEY NOT NULL,
    person_id TEXT NOT NULL REFERENCES people (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    supervisor_id TEXT NOT NULL REFERENCES people (id),
    starts_on DATE NOT NULL,
    ends_on DATE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX placements_person ON placements (person_id);
CREATE INDEX placements_supervisor ON placements (supervisor_id);

CREATE TABLE supervision_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    placement_id TEXT NOT NULL REFERENCES placements (id),
    occurred_on DATE NOT NULL,
    duration_minutes INTEGER NOT NULL,
    format TEXT NOT NULL,
    notes TEXT,
    logged_by TEXT NOT NULL REFERENCES people (id),
    verified_by TEXT REFERENCES people (id),
    verified_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX supervision_sessions_placement ON supervision_sessions (placement_id, occurred_on);

CREATE TABLE practice_hours (
    id TEXT PRIMARY KEY NOT NULL,
    placement_id TEXT NOT NULL REFERENCES placements (id),
    worked_on DATE NOT NULL,
    minutes INTEGER NOT NULL,
    description TEXT,
    logged_by TEXT NOT NULL REFERENCES people (id),
    verified_by TEXT REFERENCES people (id),
    verified_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX practice_hours_placement ON practice_hours (placement_id, worked_on);

CREATE TABLE cpd_records (
    id TEXT PRIMARY KEY NOT NULL,
    person_id TEXT NOT NULL REFERENCES people (id),
    completed_on DATE NOT NULL,
    minutes INTEGER NOT NULL,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX cpd_records_person ON cpd_records (person_id, completed_on);

CREATE TABLE certificate_sequences (
    programme_id TEXT NOT NULL REFERENCES programmes (id),
    year INTEGER NOT NULL,
    last_number INTEGER NOT NULL,
    PRIMARY KEY (programme_id, year)
);

CREATE TABLE certificates (
    id TEXT PRIMARY KEY NOT NULL,
    number TEXT NOT NULL,
    verification_code TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES people (id),
    programme_id TEXT NOT NULL REFERENCES programmes (id),
    programme_version_id TEXT NOT NULL REFERENCES programme_versions (id),
    cohort_id TEXT REFERENCES cohorts (id),
    holder_name TEXT,
    issued_on DATE NOT NULL,
    expires_on DATE,
    revoked_at TIMESTAMP,
    revoked_reason TEXT,
    issued_by TEXT NOT NULL REFERENCES people (id),
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX certificates_number ON certificates (number);
CREATE UNIQUE INDEX certificates_verification_code ON certificates (verification_code);
CREATE INDEX certificates_person ON certificates (person_id);
CREATE INDEX certificates_programme_person ON certificates (programme_id, person_id);

CREATE TABLE certificate_renewals (
    id TEXT PRIMARY KEY NOT NULL,
    certificate_id TEXT NOT NULL REFERENCES certificates (id),
    previous_expires_on DATE NOT NULL,
    new_expires_on DATE NOT NULL,
    renewed_by TEXT NOT NULL REFERENCES people (id),
    renewed_at TIMESTAMP NOT NULL
);
CREATE INDEX certificate_renewals_certificate ON certificate_renewals (certificate_id);

CREATE TABLE consents (
    id TEXT PRIMARY KEY NOT NULL,
    person_id TEXT NOT NULL REFERENCES people (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    granted_at TIMESTAMP NOT NULL,
    withdrawn_at TIMESTAMP
);
-- At most one current consent per person and organisation; history rows keep withdrawn_at.
CREATE UNIQUE INDEX consents_current ON consents (person_id, organisation_id) WHERE withdrawn_at IS NULL;
-- The partner register walks an organisation's current consents in person order.
CREATE INDEX consents_register ON consents (organisation_id, person_id) WHERE withdrawn_at IS NULL;

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE UNIQUE INDEX api_keys_hash ON api_keys (key_hash);

CREATE TABLE access_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    person_id TEXT NOT NULL REFERENCES people (id),
    purpose TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    revoked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX access_tokens_hash ON access_tokens (token_hash);
CREATE INDEX access_tokens_person ON access_tokens (person_id);

CREATE TABLE access_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id TEXT NOT NULL REFERENCES people (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    api_key_id TEXT REFERENCES api_keys (id),
    endpoint TEXT NOT NULL,
    accessed_at TIMESTAMP NOT NULL
);
CREATE INDEX access_log_person ON access_log (person_id, id);

CREATE TABLE change_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    person_id TEXT NOT NULL REFERENCES people (id),
    certificate_id TEXT REFERENCES certificates (id),
    organisation_id TEXT REFERENCES organisations (id),
    programme_id TEXT REFERENCES programmes (id),
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX change_events_person ON change_events (person_id, id);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL,
    channel TEXT NOT NULL,
    template TEXT NOT NULL,
    recipient TEXT NOT NULL,
    person_id TEXT REFERENCES people (id),
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until TIMESTAMP,
    last_error TEXT,
    give_up_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE UNIQUE INDEX outbox_idempotency ON outbox (idempotency_key);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

CREATE TABLE audit_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id TEXT REFERENCES people (id),
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    entity_kind TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    details TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_events_entity ON audit_events (entity_kind, entity_id, id);
