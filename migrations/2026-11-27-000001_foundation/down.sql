DROP TABLE activity;
DROP FUNCTION activity_is_append_only();
DROP TABLE login_failures;
DROP TABLE sessions;
DROP TABLE memberships;
DROP TABLE organizations;
DROP TABLE users;
