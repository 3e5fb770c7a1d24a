DROP TABLE certificate_reissues;
