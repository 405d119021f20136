-- Signed checkpoints of the activity chains: (organization, seq, hash, time) signed with
-- the app's Ed25519 key. An auditor who downloaded one can later prove that the log up
-- to that entry was not rewritten, even by someone who re-chained it from scratch.
CREATE TABLE activity_checkpoints (
    id         uuid PRIMARY KEY,
    org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    seq        bigint NOT NULL,
    hash       bytea NOT NULL,
    created_at timestamptz NOT NULL,
    public_key bytea NOT NULL,
    signature  bytea NOT NULL
);
CREATE INDEX activity_checkpoints_org_idx ON activity_checkpoints (org_id, seq DESC);
