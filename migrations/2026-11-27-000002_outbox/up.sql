-- The transactional outbox (R36). A row is written in the same transaction as the change
-- that causes the email, and the mail worker sends it later: requests never talk to SMTP,
-- and an email exists if and only if its change committed.
--
-- The body necessarily holds the secrets of the message (an invitation's join link): they
-- are stored nowhere else, and the worker blanks both bodies once the row is `sent` or
-- `failed`, so a link does not outlive its delivery here.
CREATE TABLE outbox (
    id              uuid PRIMARY KEY,
    -- The organization the email is about, if any; the email outlives a deleted org.
    org_id          uuid REFERENCES organizations (id) ON DELETE SET NULL,
    kind            text NOT NULL CHECK (kind ~ '^[a-z_]+$'),
    recipient       text NOT NULL CHECK (length(recipient) BETWEEN 3 AND 254),
    recipient_name  text CHECK (length(recipient_name) <= 100),
    subject         text NOT NULL CHECK (length(subject) <= 200),
    body_text       text NOT NULL,
    body_html       text NOT NULL,
    -- Fixed at enqueue, so that a retry after an uncertain send is recognizable.
    message_id      text NOT NULL UNIQUE,
    status          text NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    -- Incremented by each claim: (id, attempts) identifies one claim (a fencing token).
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    -- The lease of a `sending` row; an expired lease means its worker died mid-send.
    locked_until    timestamptz,
    last_error      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE status IN ('queued', 'sending');
CREATE INDEX outbox_org_id_idx ON outbox (org_id);
