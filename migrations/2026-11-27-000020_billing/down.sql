DROP INDEX usage_events_project_time_idx;
CREATE INDEX usage_events_project_time_idx ON usage_events (project_id, occurred_at);
DROP INDEX usage_events_org_time_idx;
CREATE INDEX usage_events_org_time_idx ON usage_events (org_id, occurred_at);
DROP TABLE credit_ledger;
DROP FUNCTION credit_ledger_is_append_only();
ALTER TABLE usage_events DROP COLUMN cost_micro;
DROP TABLE billing_accounts;
