-- Email invitations to an organization: single-use join links stored only as hashes.

CREATE TABLE invitations (
    id              uuid PRIMARY KEY,
    org_id          uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email           text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    role            text NOT NULL CHECK (role IN ('administrator', 'developer', 'billing_manager', 'viewer')),
    -- SHA-256 of the join link's token; the token itself is only in the email (R11).
    token_hash      bytea NOT NULL UNIQUE,
    -- 'pending' past expires_at reads as expired; resending revives it.
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'cancelled')),
    invited_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    invited_by_name text NOT NULL,
    -- 7 days from the latest sending (R12).
    expires_at      timestamptz NOT NULL,
    sent_at         timestamptz NOT NULL,
    send_count      integer NOT NULL DEFAULT 1,
    -- The latest email, for its delivery status.
    outbox_id       uuid REFERENCES outbox (id) ON DELETE SET NULL,
    accepted_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    accepted_at     timestamptz,
    cancelled_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now()
);
-- One pending invitation per address per organization: a double submit cannot make two.
CREATE UNIQUE INDEX invitations_one_pending_idx ON invitations (org_id, lower(email)) WHERE status = 'pending';
CREATE INDEX invitations_org_idx ON invitations (org_id, created_at DESC);

-- Every sending (first or resent), for the daily rate limits (R25).
CREATE TABLE invitation_sends (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    inviter_id uuid NOT NULL,
    email      text NOT NULL,
    sent_at    timestamptz NOT NULL
);
CREATE INDEX invitation_sends_inviter_idx ON invitation_sends (inviter_id, sent_at);
CREATE INDEX invitation_sends_org_idx ON invitation_sends (org_id, sent_at);
CREATE INDEX invitation_sends_email_idx ON invitation_sends (org_id, lower(email), sent_at);
