ALTER TABLE invitations DROP COLUMN requested_again_at;
DROP TABLE email_preferences;
DROP TABLE alerts;
