DROP FUNCTION purge_organization(uuid);

CREATE OR REPLACE FUNCTION credit_ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE OR REPLACE FUNCTION activity_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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

DROP FUNCTION purging(uuid);
DROP TRIGGER organizations_deletion_stamp ON organizations;
DROP FUNCTION organizations_stamp_deletion();
DROP FUNCTION organization_purgeable(uuid);
DROP INDEX organizations_deleted_by_idx;
DROP INDEX organizations_deleted_idx;
ALTER TABLE organizations DROP COLUMN deleted_by, DROP COLUMN deleted_at;
