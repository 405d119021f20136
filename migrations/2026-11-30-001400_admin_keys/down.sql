DROP TABLE admin_api_requests;
DROP TABLE admin_keys;
