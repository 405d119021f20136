-- Which account got starting credits for which organization: at most one grant per
-- account in 30 days, and only to accounts with a confirmed address (R42).
CREATE TABLE starting_credit_grants (
    org_id     uuid PRIMARY KEY REFERENCES organizations (id),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    granted_at timestamptz NOT NULL
);
CREATE INDEX starting_credit_grants_user_idx ON starting_credit_grants (user_id, granted_at);
