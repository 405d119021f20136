-- Two-factor sign-in (TOTP, RFC 6238). One row per account that started a setup: the
-- secret is encrypted with SECRETS_KEY (AES-256-GCM, bound to the account id) and is
-- active only once `enabled_at` is set, so a setup abandoned halfway changes nothing.
CREATE TABLE two_factor_secrets (
    user_id          uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_encrypted bytea NOT NULL,
    -- NULL: set up but not confirmed with a code yet (not active).
    enabled_at       timestamptz,
    -- The time step (unix seconds / 30) of the last accepted code: a code is accepted
    -- only for a later step, so each code works once (replay refused).
    last_used_step   bigint,
    created_at       timestamptz NOT NULL DEFAULT now()
);

-- One-time recovery codes, stored as SHA-256 of the normalized code (each has 50 random
-- bits, and code attempts are throttled).
CREATE TABLE recovery_codes (
    id         uuid PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash  bytea NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, code_hash)
);

-- "Require two-factor authentication" (Settings, administrators).
ALTER TABLE organizations ADD COLUMN require_two_factor boolean NOT NULL DEFAULT false;

-- The actions `organization.2fa_required`, `account.2fa_enabled`... have a digit.
ALTER TABLE activity DROP CONSTRAINT activity_action_check,
    ADD CONSTRAINT activity_action_check CHECK (action ~ '^[a-z_]+\.[a-z0-9_]+$');
