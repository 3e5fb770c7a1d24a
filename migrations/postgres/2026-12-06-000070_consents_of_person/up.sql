-- A person's sharing page reads their whole consent history (withdrawn ones too), which the
-- partial indexes on current consents cannot serve: without this it scanned every consent.
CREATE INDEX consents_of_person ON consents (person_id, granted_at, id);
