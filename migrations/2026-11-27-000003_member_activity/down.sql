DROP INDEX memberships_org_role_idx;
ALTER TABLE users DROP COLUMN last_active_at;
