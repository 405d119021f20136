-- "Keep IP addresses and user agents for N days": after that the maintenance job blanks
-- them (the chain covers their digests, so it still verifies); 0 means never store them.
ALTER TABLE organizations
    ADD COLUMN keep_personal_days integer NOT NULL DEFAULT 90
        CHECK (keep_personal_days BETWEEN 0 AND 3650);

-- What the retention job looks for: entries still holding a value. Redacted entries
-- leave the index, so it stays the size of the retention window.
CREATE INDEX activity_personal_held_idx ON activity (created_at)
    WHERE ip IS NOT NULL OR user_agent IS NOT NULL;

-- As before, and an organization that keeps them 0 days never has them stored.
CREATE OR REPLACE FUNCTION activity_append_to_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head activity_chains%ROWTYPE;
BEGIN
    IF (SELECT keep_personal_days FROM organizations WHERE id = NEW.org_id) = 0 THEN
        NEW.ip := NULL;
        NEW.user_agent := NULL;
    END IF;
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
