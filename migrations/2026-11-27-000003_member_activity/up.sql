-- "Last active" on the Members page, and indexes for searching and filtering members.
ALTER TABLE users ADD COLUMN last_active_at timestamptz;
CREATE INDEX memberships_org_role_idx ON memberships (org_id, role);
