DROP INDEX certificates_status_entry;
ALTER TABLE certificates DROP COLUMN status_list_index;
ALTER TABLE certificates DROP COLUMN status_list_id;
DROP TABLE status_lists;
