-- Accounts people own: the Sessions page, new-device notices and changing the address.

-- A session gets an opaque id for URLs (never its cookie key or the key's hash), and the
-- device and client address it was signed in from.
ALTER TABLE sessions
    ADD COLUMN id         uuid NOT NULL DEFAULT gen_random_uuid(),
    ADD COLUMN user_agent text CHECK (length(user_agent) <= 512),
    ADD COLUMN ip         text CHECK (length(ip) <= 64);
CREATE UNIQUE INDEX sessions_id_key ON sessions (id);

-- The devices an account signed in from, for "new sign-in" notices. A device is the
-- browser and operating system named by the user agent (versions left out, so that an
-- update is not a new device) together with the client address; only a SHA-256 of the
-- three is kept, so this table is no history of where a person has been.
CREATE TABLE known_devices (
    user_id       uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    fingerprint   bytea NOT NULL CHECK (length(fingerprint) = 32),
    first_seen_at timestamptz NOT NULL,
    last_seen_at  timestamptz NOT NULL,
    PRIMARY KEY (user_id, fingerprint)
);

-- A change of address is confirmed from a link mailed to the new address, which the
-- token carries until then.
ALTER TABLE user_tokens
    ADD COLUMN new_email text CHECK (length(new_email) BETWEEN 3 AND 254);
ALTER TABLE user_tokens DROP CONSTRAINT user_tokens_purpose_check;
ALTER TABLE user_tokens ADD CONSTRAINT user_tokens_purpose_check
    CHECK (purpose IN ('verify_email', 'reset_password', 'change_email'));
ALTER TABLE user_tokens ADD CONSTRAINT user_tokens_new_email_only_for_changes
    CHECK ((purpose = 'change_email') = (new_email IS NOT NULL));
