-- The members page's default order: walking this index lets the first page of a large
-- organization read 50 members instead of sorting all of them.
CREATE INDEX users_name_lower_idx ON users (lower(name), id);
