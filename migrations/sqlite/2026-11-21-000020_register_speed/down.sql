DROP INDEX change_events_certificate;
DROP INDEX certificates_expiry;
CREATE INDEX certificates_person ON certificates (person_id);
DROP INDEX certificates_person_validity;
