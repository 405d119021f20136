ALTER TABLE usage_events ADD FOREIGN KEY (api_key_id) REFERENCES api_keys (id);
ALTER TABLE credit_ledger DROP CONSTRAINT credit_ledger_usage_event_ids_check;
ALTER TABLE credit_ledger DROP COLUMN usage_event_ids;
