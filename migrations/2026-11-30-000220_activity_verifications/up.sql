-- How far the maintenance job has verified each organization's chain, so that each pass
-- checks only the entries written since, and the Activity log page reads one row.
CREATE TABLE activity_verifications (
    org_id        uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    seq           bigint NOT NULL,
    hash          bytea NOT NULL,
    verified_at   timestamptz NOT NULL,
    -- The first break found; it stays until an operator has looked (`activity verify`).
    broken_seq    bigint,
    broken_reason text,
    broken_at     timestamptz
);
