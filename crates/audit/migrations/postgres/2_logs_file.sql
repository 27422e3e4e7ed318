-- On SQLite the access log moves to a separate file; PostgreSQL keeps it where it is.
SELECT 1;
