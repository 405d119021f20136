-- Projects, project-only access, API keys, and the usage they report.

CREATE TABLE projects (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    archived_at timestamptz,
    -- Child rows reference (org_id, id), so that a project of another organization can
    -- never be attached to this one's rows.
    UNIQUE (org_id, id)
);
CREATE UNIQUE INDEX projects_live_name_idx ON projects (org_id, lower(name)) WHERE archived_at IS NULL;

-- Project-only access (contractors, client stakeholders): no organization role, one project.
CREATE TABLE project_members (
    id         uuid PRIMARY KEY,
    org_id     uuid NOT NULL,
    project_id uuid NOT NULL,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       text NOT NULL CHECK (role IN ('developer', 'viewer')),
    created_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE,
    -- One project per person per organization.
    UNIQUE (org_id, user_id)
);
CREATE INDEX project_members_project_idx ON project_members (project_id);
CREATE INDEX project_members_user_idx ON project_members (user_id);

-- An invitation may grant project-only access instead of an organization role.
ALTER TABLE invitations ADD COLUMN project_id uuid;
ALTER TABLE invitations ADD FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE;
ALTER TABLE invitations ADD CHECK (project_id IS NULL OR role IN ('developer', 'viewer'));

-- A key belongs to a project (so its organization), not to a person; its creator is
-- recorded, and the key outlives the creator's membership.
CREATE TABLE api_keys (
    id              uuid PRIMARY KEY,
    org_id          uuid NOT NULL,
    project_id      uuid NOT NULL,
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- The public start of the key, shown in lists: "tw_live_Ab3dE5gH".
    prefix          text NOT NULL,
    -- SHA-256 of the whole key; the key itself is shown once and never stored.
    secret_hash     bytea NOT NULL UNIQUE,
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_by_name text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz,
    revoked_at      timestamptz,
    -- Set on a rotated key that keeps working for an overlap window.
    expires_at      timestamptz,
    replaced_by     uuid REFERENCES api_keys (id),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE
);
CREATE INDEX api_keys_project_idx ON api_keys (org_id, project_id, created_at DESC);
CREATE INDEX api_keys_creator_idx ON api_keys (org_id, created_by);

CREATE TABLE usage_events (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        uuid NOT NULL,
    project_id    uuid NOT NULL,
    api_key_id    uuid NOT NULL REFERENCES api_keys (id),
    model         text NOT NULL CHECK (length(model) BETWEEN 1 AND 100),
    requests      integer NOT NULL CHECK (requests >= 0),
    input_tokens  bigint NOT NULL CHECK (input_tokens >= 0),
    output_tokens bigint NOT NULL CHECK (output_tokens >= 0),
    occurred_at   timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE
);
CREATE INDEX usage_events_org_time_idx ON usage_events (org_id, occurred_at);
CREATE INDEX usage_events_project_time_idx ON usage_events (project_id, occurred_at);
