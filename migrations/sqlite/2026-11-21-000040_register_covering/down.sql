DROP INDEX consents_register;
CREATE INDEX consents_register ON consents (organisation_id, person_id) WHERE withdrawn_at IS NULL;
DROP INDEX people_names;
CREATE INDEX certificates_person_validity ON certificates (person_id, revoked_at, issued_on, expires_on);
DROP INDEX certificates_register;
