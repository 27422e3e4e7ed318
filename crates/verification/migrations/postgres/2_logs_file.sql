-- On SQLite the verification history and used nonces move to a separate file; PostgreSQL keeps
-- them where they are.
SELECT 1;
