-- Billing: each organization's plan and credit balance, the credit ledger, and the cost
-- of each usage report.

-- One row per organization. `balance_micro` is the ledger's sum, kept by the same
-- transaction that appends each ledger entry (see src/models/billing.rs), so that a usage
-- report reads and charges it in one atomic UPDATE.
CREATE TABLE billing_accounts (
    org_id        uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    plan          text NOT NULL DEFAULT 'free' CHECK (plan IN ('free', 'team', 'enterprise')),
    balance_micro bigint NOT NULL DEFAULT 0,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- What each report cost when it was made (prices may change later); reports from before
-- billing existed cost nothing.
ALTER TABLE usage_events ADD COLUMN cost_micro bigint NOT NULL DEFAULT 0 CHECK (cost_micro >= 0);

-- The credit ledger: purchases, usage charges, grants. Amounts are micro-credits
-- (1 credit = 1,000,000). Append-only like the activity log.
CREATE TABLE credit_ledger (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id              uuid NOT NULL REFERENCES organizations (id),
    kind                text NOT NULL CHECK (kind IN ('grant', 'purchase', 'usage', 'adjustment')),
    amount_micro        bigint NOT NULL,
    -- The balance right after this entry: entries of one organization are written one
    -- at a time under its account row's lock, so this is exact.
    balance_after_micro bigint NOT NULL,
    -- A purchase's payment reference (invoice, receipt, transfer id).
    reference           text CHECK (length(reference) <= 100),
    usage_event_id      bigint UNIQUE REFERENCES usage_events (id),
    -- Who recorded it; names are copied so that history keeps them. None for usage.
    actor_id            uuid,
    actor_name          text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'purchase' OR (amount_micro > 0 AND reference IS NOT NULL)),
    CHECK ((kind = 'usage') = (usage_event_id IS NOT NULL)),
    CHECK (kind <> 'usage' OR amount_micro <= 0)
);
CREATE INDEX credit_ledger_org_idx ON credit_ledger (org_id, id DESC);

CREATE FUNCTION credit_ledger_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER credit_ledger_no_update_or_delete BEFORE UPDATE OR DELETE ON credit_ledger
    FOR EACH ROW EXECUTE FUNCTION credit_ledger_is_append_only();
CREATE TRIGGER credit_ledger_no_truncate BEFORE TRUNCATE ON credit_ledger
    FOR EACH STATEMENT EXECUTE FUNCTION credit_ledger_is_append_only();

-- The usage pages aggregate by day, project and key from these alone (index-only scans).
DROP INDEX usage_events_org_time_idx;
CREATE INDEX usage_events_org_time_idx ON usage_events (org_id, occurred_at)
    INCLUDE (project_id, api_key_id, requests, input_tokens, output_tokens, cost_micro);
DROP INDEX usage_events_project_time_idx;
CREATE INDEX usage_events_project_time_idx ON usage_events (project_id, occurred_at)
    INCLUDE (api_key_id, requests, input_tokens, output_tokens, cost_micro);

-- Organizations that exist already keep working: each gets the plan its seats need and
-- the starting credits of a new organization (src/domain/billing.rs STARTING_CREDITS).
INSERT INTO billing_accounts (org_id, plan, balance_micro)
SELECT o.id,
       CASE WHEN s.seats <= 5 THEN 'free' WHEN s.seats <= 50 THEN 'team' ELSE 'enterprise' END,
       25000000
FROM organizations o
CROSS JOIN LATERAL (
    SELECT (SELECT count(*) FROM memberships m WHERE m.org_id = o.id)
         + (SELECT count(*) FROM project_members p WHERE p.org_id = o.id)
         + (SELECT count(*) FROM invitations i WHERE i.org_id = o.id AND i.status = 'pending') AS seats
) s;
INSERT INTO credit_ledger (org_id, kind, amount_micro, balance_after_micro, actor_name)
SELECT org_id, 'grant', 25000000, 25000000, 'Teamwork' FROM billing_accounts;
