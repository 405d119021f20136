DROP TABLE usage_request_ids;
