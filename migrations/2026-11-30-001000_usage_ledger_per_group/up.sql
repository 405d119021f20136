-- Usage reports at gateway scale, cheaper per report.
--
-- One ledger entry per group of usage reports (a batch request, or the single reports
-- an organization's queue committed together) instead of one per report: its amount is
-- the group's total, its balance the balance after the group, `usage_event_id` the
-- group's first report and `usage_event_ids` every report it charges, in order. The
-- balance stays the exact sum of the ledger. Entries written before this migration
-- (and the demo seed's) charge one report each and leave `usage_event_ids` empty.
ALTER TABLE credit_ledger ADD COLUMN usage_event_ids bigint[];
ALTER TABLE credit_ledger ADD CONSTRAINT credit_ledger_usage_event_ids_check CHECK (
    usage_event_ids IS NULL
    OR (kind = 'usage' AND cardinality(usage_event_ids) >= 1 AND usage_event_ids[1] = usage_event_id));

-- The raw reports' key is checked once per group and hour by the rollup's own foreign
-- key (the insert trigger upserts `usage_hourly` in the same statement, and a key with
-- a rollup row cannot be deleted), so the per-row check on the raw table repeated it
-- for every report. The (org_id, project_id) foreign key stays: it removes raw reports
-- with their project.
DO $$
DECLARE
    fk text;
BEGIN
    SELECT conname INTO fk FROM pg_constraint
    WHERE conrelid = 'usage_events'::regclass AND contype = 'f'
      AND confrelid = 'api_keys'::regclass;
    IF fk IS NOT NULL THEN
        EXECUTE format('ALTER TABLE usage_events DROP CONSTRAINT %I', fk);
    END IF;
END;
$$;
