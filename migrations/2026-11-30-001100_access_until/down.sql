DROP INDEX IF EXISTS api_keys_org_created_by;
DROP INDEX IF EXISTS project_members_access_until;
ALTER TABLE invitations DROP COLUMN access_until;
ALTER TABLE project_members
    DROP COLUMN access_until,
    DROP COLUMN week_notice_at,
    DROP COLUMN day_notice_at;
