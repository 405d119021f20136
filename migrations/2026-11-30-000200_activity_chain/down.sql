CREATE OR REPLACE FUNCTION activity_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'activity entries are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
DROP TRIGGER activity_chain ON activity;
DROP FUNCTION activity_append_to_chain();
DROP FUNCTION activity_chain_entry(activity, bigint, bytea);
DROP FUNCTION activity_canonical(activity);
DROP FUNCTION activity_personal_values(activity);
DROP FUNCTION activity_canonical_json(jsonb);
DROP TABLE activity_chains;
ALTER TABLE activity DROP CONSTRAINT activity_org_seq_key,
    DROP COLUMN seq, DROP COLUMN prev_hash, DROP COLUMN hash,
    DROP COLUMN personal_digests, DROP COLUMN personal_salts;
