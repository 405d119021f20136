DROP TABLE access_health_badges;
