-- Usage at gateway scale: idempotent reports.

-- The gateway's request ids of accepted usage reports, so that a retried report is
-- answered with its first result instead of being charged again. Ids are unique per
-- organization among the rows kept here; the maintenance loop deletes rows older than
-- 7 days, so an id is remembered for at least 7 days (and at most 7 days and one
-- maintenance pass). Reports themselves may not be older than 7 days either.
CREATE TABLE usage_request_ids (
    org_id         uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    request_id     text NOT NULL CHECK (length(request_id) BETWEEN 1 AND 64),
    usage_event_id bigint NOT NULL,
    cost_micro     bigint NOT NULL,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (org_id, request_id)
);
CREATE INDEX usage_request_ids_created_idx ON usage_request_ids (created_at);

-- Raw usage reports, partitioned by month (UTC) so that old months are dropped whole
-- (USAGE_RAW_RETENTION_DAYS) and new ones are created ahead by the maintenance loop;
-- the default partition catches a report for a month that has no partition yet. The
-- pages read the hourly rollup below, never these rows.
ALTER TABLE credit_ledger DROP CONSTRAINT credit_ledger_usage_event_id_fkey;
ALTER TABLE usage_events RENAME TO usage_events_unpartitioned;
ALTER TABLE usage_events_unpartitioned ALTER COLUMN id DROP IDENTITY;
DROP INDEX usage_events_org_time_idx;
DROP INDEX usage_events_project_time_idx;

CREATE SEQUENCE usage_events_id_seq;
SELECT setval('usage_events_id_seq', coalesce((SELECT max(id) FROM usage_events_unpartitioned), 0) + 1, false);
CREATE TABLE usage_events (
    id            bigint NOT NULL DEFAULT nextval('usage_events_id_seq'),
    org_id        uuid NOT NULL,
    project_id    uuid NOT NULL,
    api_key_id    uuid NOT NULL REFERENCES api_keys (id),
    model         text NOT NULL CHECK (length(model) BETWEEN 1 AND 100),
    requests      integer NOT NULL CHECK (requests >= 0),
    input_tokens  bigint NOT NULL CHECK (input_tokens >= 0),
    output_tokens bigint NOT NULL CHECK (output_tokens >= 0),
    occurred_at   timestamptz NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    cost_micro    bigint NOT NULL DEFAULT 0 CHECK (cost_micro >= 0),
    PRIMARY KEY (id, occurred_at),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE
) PARTITION BY RANGE (occurred_at);
ALTER SEQUENCE usage_events_id_seq OWNED BY usage_events.id;
CREATE INDEX usage_events_org_time_idx ON usage_events (org_id, occurred_at);
CREATE TABLE usage_events_default PARTITION OF usage_events DEFAULT;

-- Creates the partition of the month that starts on `month` (a first of the month, UTC)
-- unless it exists; rows the default partition caught for that month move into it.
CREATE FUNCTION usage_events_add_partition(month date) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
    name text := 'usage_events_' || to_char(month, 'YYYY_MM');
    lo timestamptz := month::timestamp AT TIME ZONE 'UTC';
    hi timestamptz := (month + interval '1 month')::timestamp AT TIME ZONE 'UTC';
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE usage_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
    EXECUTE format('WITH moved AS (DELETE FROM usage_events_default WHERE occurred_at >= %L AND occurred_at < %L RETURNING *) '
                   'INSERT INTO %I SELECT * FROM moved', lo, hi, name);
    EXECUTE format('ALTER TABLE usage_events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', name, lo, hi);
    RETURN true;
END;
$$;

-- Drops the monthly partitions that end at or before `cutoff`. Returns how many.
CREATE FUNCTION usage_events_drop_partitions(cutoff timestamptz) RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
    part record;
    dropped integer := 0;
BEGIN
    FOR part IN
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'usage_events'::regclass AND c.relname ~ '^usage_events_[0-9]{4}_[0-9]{2}$'
    LOOP
        IF (to_date(substr(part.relname, 14), 'YYYY_MM') + interval '1 month')::timestamp AT TIME ZONE 'UTC' <= cutoff THEN
            EXECUTE format('DROP TABLE %I', part.relname);
            dropped := dropped + 1;
        END IF;
    END LOOP;
    RETURN dropped;
END;
$$;

-- Usage by organization, project, key, model and hour (UTC): what the Usage page, its
-- CSV and the project page read, so that their cost does not depend on the number of
-- raw reports. Kept by the statement trigger below, in the transaction that inserts
-- the reports (one upsert per group and statement, whoever inserts).
CREATE TABLE usage_hourly (
    org_id        uuid NOT NULL,
    hour          timestamptz NOT NULL,
    project_id    uuid NOT NULL,
    api_key_id    uuid NOT NULL REFERENCES api_keys (id),
    model         text NOT NULL,
    reports       bigint NOT NULL,
    requests      bigint NOT NULL,
    input_tokens  bigint NOT NULL,
    output_tokens bigint NOT NULL,
    cost_micro    bigint NOT NULL,
    PRIMARY KEY (org_id, hour, project_id, api_key_id, model),
    FOREIGN KEY (org_id, project_id) REFERENCES projects (org_id, id) ON DELETE CASCADE
);
CREATE INDEX usage_hourly_project_idx ON usage_hourly (project_id, hour);

CREATE FUNCTION usage_hourly_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO usage_hourly AS h (org_id, hour, project_id, api_key_id, model, reports,
                                   requests, input_tokens, output_tokens, cost_micro)
    SELECT org_id, date_trunc('hour', occurred_at, 'UTC'), project_id, api_key_id, model,
           count(*), sum(requests), sum(input_tokens), sum(output_tokens), sum(cost_micro)
    FROM new_rows
    GROUP BY 1, 2, 3, 4, 5
    ORDER BY 1, 2, 3, 4, 5
    ON CONFLICT (org_id, hour, project_id, api_key_id, model) DO UPDATE
    SET reports = h.reports + EXCLUDED.reports,
        requests = h.requests + EXCLUDED.requests,
        input_tokens = h.input_tokens + EXCLUDED.input_tokens,
        output_tokens = h.output_tokens + EXCLUDED.output_tokens,
        cost_micro = h.cost_micro + EXCLUDED.cost_micro;
    RETURN NULL;
END;
$$;
CREATE TRIGGER usage_events_roll_up AFTER INSERT ON usage_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION usage_hourly_add();

-- The existing reports: a partition for each month they cover and the next two, the
-- rows moved (the trigger fills the rollup), the old table dropped.
SELECT usage_events_add_partition(m::date)
FROM generate_series(
    date_trunc('month', least(coalesce((SELECT min(occurred_at) FROM usage_events_unpartitioned), now()), now()), 'UTC'),
    date_trunc('month', now(), 'UTC') + interval '2 months',
    interval '1 month') AS m;
INSERT INTO usage_events (id, org_id, project_id, api_key_id, model, requests, input_tokens,
                          output_tokens, occurred_at, created_at, cost_micro)
SELECT id, org_id, project_id, api_key_id, model, requests, input_tokens, output_tokens,
       occurred_at, created_at, cost_micro
FROM usage_events_unpartitioned;
DROP TABLE usage_events_unpartitioned;
