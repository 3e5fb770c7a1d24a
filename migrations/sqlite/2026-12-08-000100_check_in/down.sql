ALTER TABLE attendance DROP COLUMN checked_in_at;
DROP TABLE check_in_secrets;
