DROP INDEX consents_of_person;
