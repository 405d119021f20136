-- "Access until": project-only access may end on a date (the last day it works, UTC).
-- The reminders 7 days and 1 day before are sent once each: their time is recorded.
ALTER TABLE project_members
    ADD COLUMN access_until date,
    ADD COLUMN week_notice_at timestamptz,
    ADD COLUMN day_notice_at timestamptz;
ALTER TABLE invitations ADD COLUMN access_until date;

-- The maintenance job looks for accesses that end soon or ended.
CREATE INDEX project_members_access_until ON project_members (access_until)
    WHERE access_until IS NOT NULL;
-- Access health: keys by creator, keys by last use, administrators.
CREATE INDEX api_keys_org_created_by ON api_keys (org_id, created_by) WHERE revoked_at IS NULL;
