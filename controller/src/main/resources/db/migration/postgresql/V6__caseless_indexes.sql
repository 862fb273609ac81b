-- caseless lookups by expression
-- Nothing to do on PostgreSQL: V2 and V3 created the unique indexes on lower()
-- that SQLite gets here, so both stores stay at the same version.
SELECT 1;
