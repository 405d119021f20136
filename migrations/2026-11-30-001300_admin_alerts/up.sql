-- Alerts on privileged changes (to every administrator) and notices to the member whose
-- role changed: written in the transaction of the change, mailed by a worker step that
-- groups a person's unsent alerts into one message once the oldest is a minute old.
CREATE TABLE alerts (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Security alerts are mailed whatever the person's email preference says.
    security    boolean NOT NULL,
    message     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- Set when the worker step dealt with it: mailed (outbox_id) or not mailed by choice.
    handled_at  timestamptz,
    outbox_id   uuid REFERENCES outbox (id) ON DELETE SET NULL
);
CREATE INDEX alerts_unhandled_idx ON alerts (created_at, user_id) WHERE handled_at IS NULL;
CREATE INDEX alerts_org_user_idx ON alerts (org_id, user_id, created_at DESC);

-- "Emails about changes that are not about security": on unless the account turned it off.
CREATE TABLE email_preferences (
    user_id       uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    non_security  boolean NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- "Ask for a new invitation" from an expired link: when it was last asked (at most once
-- a day); cleared when the invitation is sent again.
ALTER TABLE invitations ADD COLUMN requested_again_at timestamptz;
