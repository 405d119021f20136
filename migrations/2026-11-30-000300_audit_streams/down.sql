DROP TABLE audit_streams;
