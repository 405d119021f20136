-- Audit log streaming: an organization's activity entries are POSTed, signed, to an
-- HTTPS endpoint of its choice, in seq order, at least once.
--
-- The durable outbox is the chain itself: entries have a gapless `seq` per organization,
-- so this one row per organization is the whole delivery state (the cursor
-- `delivered_seq` and the retry schedule). Nothing is written per entry. A worker claims
-- due rows with FOR UPDATE SKIP LOCKED and a lease (`lease_token`, `leased_until`), and
-- advances the cursor only while it holds the lease, so two app instances never deliver
-- one organization's entries at once or out of order.
CREATE TABLE audit_streams (
    org_id            uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    url               text NOT NULL CHECK (length(url) <= 2000),
    -- The HMAC key shared with the receiver: it signs every delivery, so it is kept as
    -- given; it is never shown again nor logged.
    secret            text NOT NULL,
    enabled           boolean NOT NULL DEFAULT true,
    -- Every entry up to this seq was acknowledged by the endpoint with a 2xx.
    delivered_seq     bigint NOT NULL DEFAULT 0 CHECK (delivered_seq >= 0),
    -- Failed attempts at entry delivered_seq + 1 since the last success.
    attempts          integer NOT NULL DEFAULT 0,
    last_attempt_at   timestamptz,
    last_delivered_at timestamptz,
    last_error        text,
    next_attempt_at   timestamptz NOT NULL DEFAULT now(),
    lease_token       uuid,
    leased_until      timestamptz,
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX audit_streams_due ON audit_streams (next_attempt_at) WHERE enabled;
