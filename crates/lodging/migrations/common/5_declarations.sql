-- A citizen's own declaration of a stay at a private home (tự khai báo lưu trú), sent to the police
-- of the host's commune with the same legal deadline as a facility's notification.
CREATE TABLE lodging_declarations (
    id TEXT PRIMARY KEY,
    personal_id TEXT NOT NULL,
    full_name TEXT NOT NULL,
    commune_code TEXT NOT NULL,
    province_code TEXT NOT NULL,
    address TEXT NOT NULL,
    host_name TEXT NOT NULL,
    host_personal_id TEXT,
    reason TEXT NOT NULL,
    arrival_at BIGINT NOT NULL,
    expected_departure_at BIGINT,
    deadline_at BIGINT NOT NULL,
    submitted_at BIGINT NOT NULL,
    late BIGINT NOT NULL
);
CREATE INDEX lodging_declarations_person ON lodging_declarations (personal_id, arrival_at);
CREATE INDEX lodging_declarations_commune ON lodging_declarations (commune_code, arrival_at);
CREATE INDEX lodging_declarations_province ON lodging_declarations (province_code, arrival_at);
