DROP TABLE usage_hourly;
DROP FUNCTION usage_hourly_add CASCADE;
DROP FUNCTION usage_events_add_partition;
DROP FUNCTION usage_events_drop_partitions;
CREATE TABLE usage_events_plain (LIKE usage_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
INSERT INTO usage_events_plain SELECT * FROM usage_events;
DROP TABLE usage_events;
ALTER TABLE usage_events_plain RENAME TO usage_events;
ALTER SEQUENCE usage_events_id_seq OWNED BY usage_events.id;
ALTER TABLE usage_events ADD PRIMARY KEY (id);
ALTER TABLE usage_events ADD FOREIGN KEY (api_key_id) REFERENCES api_keys (id);
ALTER TABLE usage_events ADD FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE;
CREATE INDEX usage_events_org_time_idx ON usage_events (org_id, occurred_at)
    INCLUDE (project_id, api_key_id, requests, input_tokens, output_tokens, cost_micro);
CREATE INDEX usage_events_project_time_idx ON usage_events (project_id, occurred_at)
    INCLUDE (api_key_id, requests, input_tokens, output_tokens, cost_micro);
ALTER TABLE credit_ledger ADD FOREIGN KEY (usage_event_id) REFERENCES usage_events (id);
DROP TABLE usage_request_ids;
