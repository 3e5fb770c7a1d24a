DROP INDEX people_names;
CREATE INDEX certificates_person_validity ON certificates (person_id, revoked_at, issued_on, expires_on);
DROP INDEX certificates_register;
