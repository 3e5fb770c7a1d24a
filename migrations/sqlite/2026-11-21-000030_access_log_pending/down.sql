DROP TABLE access_log_pending;
