-- A register page is read from indexes alone (issue 7). The people of one page are neighbours
-- in person id order, so with every column the page shows inside these indexes a page of 50
-- reads a few adjacent index pages, rather than one table page for each person and each
-- certificate, scattered over the file.

-- Validity, programme, id and number of each certificate, by person. It also serves every
-- look-up of certificates by person, so it replaces the index it extends.
CREATE INDEX certificates_register ON certificates (person_id, revoked_at, issued_on, expires_on, programme_id, id, number);
DROP INDEX certificates_person_validity;

-- Names by id.
CREATE INDEX people_names ON people (id, name);

-- SQLite uses a partial index as covering only if the columns of its condition are in it.
DROP INDEX consents_register;
CREATE INDEX consents_register ON consents (organisation_id, person_id, withdrawn_at) WHERE withdrawn_at IS NULL;
