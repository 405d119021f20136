DROP TABLE activity_verifications;
