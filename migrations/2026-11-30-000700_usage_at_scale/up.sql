-- Usage at gateway scale: idempotent reports.

-- The gateway's request ids of accepted usage reports, so that a retried report is
-- answered with its first result instead of being charged again. Ids are unique per
-- organization among the rows kept here; the maintenance loop deletes rows older than
-- 7 days, so an id is remembered for at least 7 days (and at most 7 days and one
-- maintenance pass). Reports themselves may not be older than 7 days either.
CREATE TABLE usage_request_ids (
    org_id         uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    request_id     text NOT NULL CHECK (length(request_id) BETWEEN 1 AND 64),
    usage_event_id bigint NOT NULL,
    cost_micro     bigint NOT NULL,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (org_id, request_id)
);
CREATE INDEX usage_request_ids_created_idx ON usage_request_ids (created_at);
