-- Deleting an organization: a soft delete with a 30-day restore window, then a purge.
--
-- While `deleted_at` is set, the organization is invisible (every page 404, its API keys
-- authenticate nothing, it leaves the switcher) but all of its rows stay, so that the
-- administrator who deleted it (`deleted_by`) can restore it exactly as it was. The row
-- also keeps its slug reserved. After the window the maintenance job calls
-- `purge_organization`, the one path that may delete activity and ledger entries.
ALTER TABLE organizations
    ADD COLUMN deleted_at timestamptz,
    ADD COLUMN deleted_by uuid REFERENCES users (id) ON DELETE SET NULL,
    ADD CHECK (deleted_at IS NOT NULL OR deleted_by IS NULL);
-- The purge job and each account's "deleted organizations" list read only these.
CREATE INDEX organizations_deleted_idx ON organizations (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX organizations_deleted_by_idx ON organizations (deleted_by) WHERE deleted_at IS NOT NULL;

-- A deletion is stamped with the database's clock, whatever the statement says, and its
-- time never changes afterwards: nobody (the app's role included) can backdate a
-- deletion to make an organization purgeable before its 30 days are over.
CREATE FUNCTION organizations_stamp_deletion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.deleted_at IS NULL THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' OR OLD.deleted_at IS NULL THEN
        NEW.deleted_at := now();
    ELSIF NEW.deleted_at IS DISTINCT FROM OLD.deleted_at THEN
        RAISE EXCEPTION 'the time of a deletion cannot change'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER organizations_deletion_stamp BEFORE INSERT OR UPDATE OF deleted_at ON organizations
    FOR EACH ROW EXECUTE FUNCTION organizations_stamp_deletion();

-- Whether `org` may be purged now: deleted, and the restore window (30 days, as
-- RESTORE_DAYS in src/domain/org_deletion.rs) is over.
CREATE FUNCTION organization_purgeable(org uuid) RETURNS boolean
    LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM organizations
                   WHERE id = org AND deleted_at < now() - interval '30 days');
$$;

-- Activity and ledger entries stay append-only, with one exception each: a row of an
-- organization that may be purged, deleted from inside `purge_organization` (which sets
-- `teamwork.purging` to that organization's id for the duration of its deletes). A
-- plain DELETE, of any organization, is refused as before; so is TRUNCATE.
CREATE FUNCTION purging(org uuid) RETURNS boolean
    LANGUAGE sql STABLE AS $$
    SELECT current_setting('teamwork.purging', true) = org::text AND organization_purgeable(org);
$$;

CREATE OR REPLACE FUNCTION activity_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND purging(OLD.org_id) THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE'
       AND (NEW.ip IS NULL OR NEW.ip IS NOT DISTINCT FROM OLD.ip)
       AND (NEW.user_agent IS NULL OR NEW.user_agent IS NOT DISTINCT FROM OLD.user_agent)
       AND OLD.personal_salts @> NEW.personal_salts
       AND (NEW.id, NEW.org_id, NEW.actor_id, NEW.actor_name, NEW.action, NEW.target_type,
            NEW.target_id, NEW.target_label, NEW.before, NEW.after, NEW.created_at, NEW.seq,
            NEW.prev_hash, NEW.hash, NEW.personal_digests)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.org_id, OLD.actor_id, OLD.actor_name, OLD.action, OLD.target_type,
            OLD.target_id, OLD.target_label, OLD.before, OLD.after, OLD.created_at, OLD.seq,
            OLD.prev_hash, OLD.hash, OLD.personal_digests)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'activity entries are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE OR REPLACE FUNCTION credit_ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND purging(OLD.org_id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'ledger entries are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

-- Drops every row of one organization whose restore window is over, and the
-- organization itself (its slug becomes free). Returns false, and deletes nothing, for
-- any other organization. SECURITY DEFINER: an operator may revoke DELETE on activity
-- and credit_ledger from the app's role and grant it EXECUTE on this function only.
CREATE FUNCTION purge_organization(org uuid) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    -- The row lock makes a concurrent purge of the same organization wait, then find
    -- nothing.
    PERFORM 1 FROM organizations WHERE id = org FOR UPDATE;
    IF NOT organization_purgeable(org) THEN
        RETURN false;
    END IF;
    PERFORM set_config('teamwork.purging', org::text, true);
    DELETE FROM activity WHERE org_id = org;
    DELETE FROM credit_ledger WHERE org_id = org;
    PERFORM set_config('teamwork.purging', '', true);
    DELETE FROM activity_chains WHERE org_id = org;
    DELETE FROM starting_credit_grants WHERE org_id = org;
    -- Everything else goes with the organization (ON DELETE CASCADE); its emails
    -- already sent stay, unlinked (ON DELETE SET NULL).
    DELETE FROM organizations WHERE id = org;
    RETURN true;
END;
$$;
