DROP INDEX activity_org_stem_idx;
