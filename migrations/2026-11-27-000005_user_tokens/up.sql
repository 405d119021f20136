-- Single-use links mailed to an account: email confirmation (24 h) and password reset (1 h).
CREATE TABLE user_tokens (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
    -- SHA-256 of the token; the token itself is only in the email.
    token_hash bytea NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL
);
CREATE INDEX user_tokens_user_idx ON user_tokens (user_id, purpose, created_at);
