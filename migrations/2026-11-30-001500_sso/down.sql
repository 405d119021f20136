ALTER TABLE organizations DROP COLUMN require_sso;
DROP TABLE verified_domains;
DROP TABLE sso_connections;
