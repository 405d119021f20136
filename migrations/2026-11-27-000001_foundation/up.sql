-- Accounts, organizations, memberships, sessions, login throttling and the activity log.

CREATE TABLE users (
    id                uuid PRIMARY KEY,
    email             text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    password_hash     text NOT NULL,
    email_verified_at timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now()
);
-- Emails are compared case-insensitively (whole address, no dot or plus folding).
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE organizations (
    id         uuid PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    slug       text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
    id         uuid PRIMARY KEY,
    org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('administrator', 'developer', 'billing_manager', 'viewer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, user_id)
);
CREATE INDEX memberships_user_id_idx ON memberships (user_id);

-- Server-side sessions (actix-session store). Only a hash of the cookie's key is stored.
CREATE TABLE sessions (
    key_hash     bytea PRIMARY KEY,
    user_id      uuid REFERENCES users (id) ON DELETE CASCADE,
    state        jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

-- Failed logins, counted per account and per client IP for throttling.
CREATE TABLE login_failures (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email      text NOT NULL,
    ip         text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_email_idx ON login_failures (lower(email), created_at);
CREATE INDEX login_failures_ip_idx ON login_failures (ip, created_at);

-- The audit trail. Names are copied at write time so later renames do not rewrite history.
CREATE TABLE activity (
    id           uuid PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES organizations (id),
    actor_id     uuid,
    actor_name   text NOT NULL,
    action       text NOT NULL CHECK (action ~ '^[a-z_]+\.[a-z_]+$'),
    target_type  text NOT NULL,
    target_id    uuid,
    target_label text NOT NULL,
    before       jsonb,
    after        jsonb,
    ip           text,
    user_agent   text,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX activity_org_idx ON activity (org_id, id DESC);
CREATE INDEX activity_org_action_idx ON activity (org_id, action, id DESC);
CREATE INDEX activity_org_actor_idx ON activity (org_id, actor_id, id DESC);
CREATE INDEX activity_org_target_idx ON activity (org_id, target_id, id DESC);

CREATE FUNCTION activity_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'activity entries are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER activity_no_update_or_delete BEFORE UPDATE OR DELETE ON activity
    FOR EACH ROW EXECUTE FUNCTION activity_is_append_only();
CREATE TRIGGER activity_no_truncate BEFORE TRUNCATE ON activity
    FOR EACH STATEMENT EXECUTE FUNCTION activity_is_append_only();
