-- Organization admin keys (`tw_admin_`): reach /api/v1/organization/ with the rights of
-- an Administrator, limited by their scopes. Only the SHA-256 of the secret is stored.
CREATE TABLE admin_keys (
    id uuid PRIMARY KEY,
    org_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    prefix text NOT NULL,
    secret_hash bytea NOT NULL UNIQUE,
    scopes text[] NOT NULL CHECK (cardinality(scopes) > 0),
    created_by uuid REFERENCES users (id) ON DELETE SET NULL,
    created_by_name text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    last_used_at timestamptz,
    revoked_at timestamptz
);
CREATE INDEX admin_keys_by_org ON admin_keys (org_id, created_at DESC);

-- Writes of the admin API by `Idempotency-Key` (R44): the unique key makes one of any
-- number of concurrent retries do the work; the others wait for its row and answer
-- with its stored response. Kept 24 hours.
CREATE TABLE admin_api_requests (
    key_id uuid NOT NULL REFERENCES admin_keys (id) ON DELETE CASCADE,
    idempotency_key text NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    request_hash bytea NOT NULL,
    status smallint NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key_id, idempotency_key)
);
CREATE INDEX admin_api_requests_by_age ON admin_api_requests (created_at);
