DROP TABLE starting_credit_grants;
