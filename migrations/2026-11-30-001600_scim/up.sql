-- SCIM 2.0 provisioning (RFC 7643/7644) per organization.
--
-- One SCIM token per organization (`tw_scim_`, only its SHA-256 kept); rotating replaces
-- the row, revoking deletes it. The identity provider's users and groups are kept as it
-- sent them; a user is linked to one account, and its membership is "SCIM-managed"
-- (its role follows the groups mapped to roles, the UI cannot change it).
CREATE TABLE scim_tokens (
    id           uuid PRIMARY KEY,
    org_id       uuid NOT NULL UNIQUE REFERENCES organizations (id) ON DELETE CASCADE,
    secret_hash  bytea NOT NULL UNIQUE,
    prefix       text NOT NULL,
    created_by   uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
);

CREATE TABLE scim_users (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_name   text NOT NULL CHECK (length(user_name) BETWEEN 1 AND 256),
    external_id text CHECK (length(external_id) <= 256),
    active      boolean NOT NULL DEFAULT true,
    -- name, displayName and emails as the provider sent them (returned as they are).
    attributes  jsonb NOT NULL DEFAULT '{}' CHECK (octet_length(attributes::text) <= 16384),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, user_id)
);

CREATE UNIQUE INDEX scim_users_user_name ON scim_users (org_id, lower(user_name));
CREATE INDEX scim_users_list ON scim_users (org_id, created_at, id);

CREATE TABLE scim_groups (
    id           uuid PRIMARY KEY,
    org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 256),
    external_id  text CHECK (length(external_id) <= 256),
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX scim_groups_name ON scim_groups (org_id, lower(display_name));
CREATE INDEX scim_groups_list ON scim_groups (org_id, created_at, id);

CREATE TABLE scim_group_members (
    group_id     uuid NOT NULL REFERENCES scim_groups (id) ON DELETE CASCADE,
    scim_user_id uuid NOT NULL REFERENCES scim_users (id) ON DELETE CASCADE,
    PRIMARY KEY (group_id, scim_user_id)
);

CREATE INDEX scim_group_members_user ON scim_group_members (scim_user_id);

-- "Group roles": members of the provider's group named `group_name` (any case) get
-- `role`. With several mapped groups the highest role wins.
CREATE TABLE scim_group_roles (
    org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    group_name text NOT NULL CHECK (length(group_name) BETWEEN 1 AND 256),
    role       text NOT NULL
        CHECK (role IN ('administrator', 'developer', 'billing_manager', 'viewer')),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX scim_group_roles_name ON scim_group_roles (org_id, lower(group_name));

ALTER TABLE memberships ADD COLUMN scim_managed boolean NOT NULL DEFAULT false;
