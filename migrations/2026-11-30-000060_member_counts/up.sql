-- Counts the Members page shows, kept on the organization row by the operations that
-- change memberships, project-only access and invitations (all under this row's lock),
-- so that no page counts an organization's members per request.
ALTER TABLE organizations
    ADD COLUMN administrators integer NOT NULL DEFAULT 0 CHECK (administrators >= 0),
    ADD COLUMN developers integer NOT NULL DEFAULT 0 CHECK (developers >= 0),
    ADD COLUMN billing_managers integer NOT NULL DEFAULT 0 CHECK (billing_managers >= 0),
    ADD COLUMN viewers integer NOT NULL DEFAULT 0 CHECK (viewers >= 0),
    ADD COLUMN pending_invitations integer NOT NULL DEFAULT 0 CHECK (pending_invitations >= 0),
    ADD COLUMN project_only_members integer NOT NULL DEFAULT 0 CHECK (project_only_members >= 0);

UPDATE organizations o SET
    administrators = (SELECT count(*) FROM memberships m WHERE m.org_id = o.id AND m.role = 'administrator'),
    developers = (SELECT count(*) FROM memberships m WHERE m.org_id = o.id AND m.role = 'developer'),
    billing_managers = (SELECT count(*) FROM memberships m WHERE m.org_id = o.id AND m.role = 'billing_manager'),
    viewers = (SELECT count(*) FROM memberships m WHERE m.org_id = o.id AND m.role = 'viewer'),
    pending_invitations = (SELECT count(*) FROM invitations i WHERE i.org_id = o.id AND i.status = 'pending'),
    project_only_members = (SELECT count(*) FROM project_members p WHERE p.org_id = o.id);

-- Member search is a substring match on name or email: trigram indexes answer it
-- without reading every member of a large organization.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_name_trgm_idx ON users USING gin (lower(name) gin_trgm_ops);
CREATE INDEX users_email_trgm_idx ON users USING gin (lower(email) gin_trgm_ops);
