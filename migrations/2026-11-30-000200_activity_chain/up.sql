-- A hash chain per organization over the activity log, so that a rewritten, deleted or
-- reordered entry is detectable even by someone who can bypass the append-only trigger
-- (a database superuser, a restored backup). The exact encoding is in the README
-- ("Verifying the activity log"); src/domain/audit_chain.rs is the same encoding in Rust.
--
-- Every entry is chained here, in the database, by a BEFORE INSERT trigger: no path that
-- writes an entry (the ops, seed-demo, a script in psql) can leave one unchained, and
-- the per-organization head row locked FOR UPDATE serializes writers of one organization
-- so that two transactions never fork the chain.

ALTER TABLE activity
    ADD COLUMN seq bigint,
    ADD COLUMN prev_hash bytea,
    ADD COLUMN hash bytea,
    -- SHA-256 of each personal value (with its own random salt), keyed by field name:
    -- the chain covers these digests, not the values, so the values can be blanked later.
    ADD COLUMN personal_digests jsonb NOT NULL DEFAULT '{}',
    -- The salts of the values still present; a salt is removed with its value, so a
    -- digest of a blanked IP address cannot be reversed by trying every address.
    ADD COLUMN personal_salts jsonb NOT NULL DEFAULT '{}';

-- The head of each organization's chain: the last seq and hash.
CREATE TABLE activity_chains (
    org_id uuid PRIMARY KEY REFERENCES organizations (id),
    seq    bigint NOT NULL DEFAULT 0,
    hash   bytea  NOT NULL DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000'
);

-- JSON with object keys sorted by code point, no whitespace, strings escaped as JSON
-- (jsonb's escaping of a string is the same as serde_json's and Python's json module
-- with ensure_ascii=False). Numbers are written as jsonb writes them; entries hold
-- integers only.
CREATE FUNCTION activity_canonical_json(v jsonb) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
    out text;
BEGIN
    CASE jsonb_typeof(v)
    WHEN 'object' THEN
        SELECT '{' || coalesce(string_agg(to_jsonb(e.key)::text || ':'
                                          || activity_canonical_json(e.value), ','
                                          ORDER BY e.key COLLATE "C"), '') || '}'
          INTO out FROM jsonb_each(v) AS e;
    WHEN 'array' THEN
        SELECT '[' || coalesce(string_agg(activity_canonical_json(e.value), ','
                                          ORDER BY e.n), '') || ']'
          INTO out FROM jsonb_array_elements(v) WITH ORDINALITY AS e(value, n);
    ELSE
        out := v::text;
    END CASE;
    RETURN out;
END;
$$;

-- The personal values of an entry, by field name: the IP address, the user agent, and
-- the top-level "email" of before and after.
CREATE FUNCTION activity_personal_values(a activity) RETURNS jsonb
    LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'ip', a.ip,
        'user_agent', a.user_agent,
        'before.email', a.before ->> 'email',
        'after.email', a.after ->> 'email'));
$$;

-- The bytes an entry's hash covers (version 1).
CREATE FUNCTION activity_canonical(a activity) RETURNS bytea
    LANGUAGE sql STABLE AS $$
    SELECT convert_to(activity_canonical_json(jsonb_build_object(
        'v', 1,
        'org_id', a.org_id,
        'seq', a.seq,
        'id', a.id,
        'created_at', to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        'actor_id', a.actor_id,
        'actor_name', a.actor_name,
        'action', a.action,
        'target_type', a.target_type,
        'target_id', a.target_id,
        'target_label', a.target_label,
        'before', CASE WHEN jsonb_typeof(a.before) = 'object' THEN a.before - 'email' ELSE a.before END,
        'after', CASE WHEN jsonb_typeof(a.after) = 'object' THEN a.after - 'email' ELSE a.after END,
        'personal', a.personal_digests)), 'UTF8');
$$;

-- Salts and digests for the personal values of `a`, then its seq, prev_hash and hash
-- after `head`. Whatever the insert supplied for these columns is overwritten.
CREATE FUNCTION activity_chain_entry(a activity, head_seq bigint, head_hash bytea) RETURNS activity
    LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    field record;
    salt bytea;
BEGIN
    a.personal_salts := '{}';
    a.personal_digests := '{}';
    FOR field IN SELECT key, value FROM jsonb_each_text(activity_personal_values(a)) LOOP
        salt := uuid_send(gen_random_uuid());
        a.personal_salts := a.personal_salts || jsonb_build_object(field.key, encode(salt, 'hex'));
        a.personal_digests := a.personal_digests || jsonb_build_object(
            field.key, encode(sha256(salt || convert_to(field.value, 'UTF8')), 'hex'));
    END LOOP;
    a.seq := head_seq + 1;
    a.prev_hash := head_hash;
    a.hash := sha256(head_hash || activity_canonical(a));
    RETURN a;
END;
$$;

CREATE FUNCTION activity_append_to_chain() RETURNS trigger LANGUAGE plpgsql AS $$
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

-- Chain the existing entries once, per organization in id order (ids are UUIDv7, so
-- this is the order they were written in). The append-only trigger is off for this
-- one statement of this migration only.
ALTER TABLE activity DISABLE TRIGGER activity_no_update_or_delete;
DO $$
DECLARE
    entry activity;
    head_org uuid;
    head_seq bigint := 0;
    head_hash bytea;
    zero bytea := '\x0000000000000000000000000000000000000000000000000000000000000000';
BEGIN
    FOR entry IN SELECT * FROM activity ORDER BY org_id, id LOOP
        IF head_org IS DISTINCT FROM entry.org_id THEN
            IF head_org IS NOT NULL THEN
                INSERT INTO activity_chains VALUES (head_org, head_seq, head_hash);
            END IF;
            head_org := entry.org_id;
            head_seq := 0;
            head_hash := zero;
        END IF;
        entry := activity_chain_entry(entry, head_seq, head_hash);
        UPDATE activity SET seq = entry.seq, prev_hash = entry.prev_hash, hash = entry.hash,
                            personal_salts = entry.personal_salts,
                            personal_digests = entry.personal_digests
         WHERE id = entry.id;
        head_seq := entry.seq;
        head_hash := entry.hash;
    END LOOP;
    IF head_org IS NOT NULL THEN
        INSERT INTO activity_chains VALUES (head_org, head_seq, head_hash);
    END IF;
END;
$$;
ALTER TABLE activity ENABLE TRIGGER activity_no_update_or_delete;

ALTER TABLE activity
    ALTER COLUMN seq SET NOT NULL,
    ALTER COLUMN prev_hash SET NOT NULL,
    ALTER COLUMN hash SET NOT NULL,
    ADD CONSTRAINT activity_org_seq_key UNIQUE (org_id, seq);

CREATE TRIGGER activity_chain BEFORE INSERT ON activity
    FOR EACH ROW EXECUTE FUNCTION activity_append_to_chain();

-- Entries stay append-only, with one exception that keeps the chain valid: blanking the
-- IP address or user agent (and dropping its salt) while everything the hash covers,
-- digests included, stays as it was. This is what retention does.
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
