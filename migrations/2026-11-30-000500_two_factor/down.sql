ALTER TABLE activity DROP CONSTRAINT activity_action_check,
    ADD CONSTRAINT activity_action_check CHECK (action ~ '^[a-z_]+\.[a-z_]+$') NOT VALID;
ALTER TABLE organizations DROP COLUMN require_two_factor;
DROP TABLE recovery_codes;
DROP TABLE two_factor_secrets;
