-- The sidebar's "Access health" badge: the number of checks with an open item, kept
-- here so that a page reads it inside the statement that loads the organization. A row
-- older than a minute is recomputed by the next page that shows the badge; a change
-- recorded in the activity log deletes its organization's row.
CREATE TABLE access_health_badges (
    org_id       uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    open_checks  integer NOT NULL CHECK (open_checks >= 0),
    computed_at  timestamptz NOT NULL
);
