-- Temporary absence declarations (khai báo tạm vắng, Law on Residence 2020 Art. 31).
CREATE TABLE temporary_absences (
    id TEXT PRIMARY KEY,
    personal_id TEXT NOT NULL REFERENCES persons(personal_id),
    from_date TEXT NOT NULL,
    to_date TEXT NOT NULL,
    destination TEXT NOT NULL,
    reason TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX temporary_absences_person ON temporary_absences (personal_id, from_date);
