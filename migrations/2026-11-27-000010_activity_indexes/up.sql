-- Indexes for the Activity log's filters. Every one ends in `id DESC`: ids are UUIDv7
-- (time-ordered), so each filter reads one page of index entries, newest first, from
-- its cursor, however many entries the organization has. The indexes of the first
-- migration already serve: everything (org_id, id), one action (org_id, action, id),
-- a member as actor (org_id, actor_id, id) and as target (org_id, target_id, id).
-- Date ranges need no index of their own: they become bounds on id.

-- A group of actions ("all invitation actions"): the leading letters of the action,
-- so `project_access.granted` falls in the `project` group. The query must spell the
-- expression exactly like this for the planner to use the index.
CREATE INDEX activity_org_stem_idx
    ON activity (org_id, (substring(action FROM '^[a-z]+')), id DESC);
