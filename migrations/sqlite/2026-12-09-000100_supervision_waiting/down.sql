DROP INDEX supervision_waiting;
