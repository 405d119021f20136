DROP TABLE usage_events;
DROP TABLE api_keys;
ALTER TABLE invitations DROP COLUMN project_id;
DROP TABLE project_members;
DROP TABLE projects;
