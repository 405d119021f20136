CREATE OR REPLACE FUNCTION activity_append_to_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head activity_chains%ROWTYPE;
BEGIN
    SELECT * INTO head FROM activity_chains WHERE org_id = NEW.org_id FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO activity_chains (org_id) VALUES (NEW.org_id) ON CONFLICT DO NOTHING;
        SELECT * INTO head FROM activity_chains WHERE org_id = NEW.org_id FOR UPDATE;
    END IF;
    NEW := activity_chain_entry(NEW, head.seq, head.hash);
    UPDATE activity_chains SET seq = NEW.seq, hash = NEW.hash WHERE org_id = NEW.org_id;
    RETURN NEW;
END;
$$;
DROP INDEX activity_personal_held_idx;
ALTER TABLE organizations DROP COLUMN keep_personal_days;
