-- Accommodation facilities (cơ sở lưu trú) and the organization that runs each.
CREATE TABLE lodging_facilities (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    licence_code TEXT NOT NULL,
    commune_code TEXT NOT NULL,
    province_code TEXT NOT NULL,
    address TEXT NOT NULL,
    rooms BIGINT NOT NULL,
    beds BIGINT NOT NULL,
    organization_id TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_by TEXT,
    decided_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX lodging_facilities_commune ON lodging_facilities (commune_code);
CREATE INDEX lodging_facilities_province ON lodging_facilities (province_code);
CREATE INDEX lodging_facilities_org ON lodging_facilities (organization_id);

-- One guest's stay at a facility.
CREATE TABLE lodging_checkins (
    id TEXT PRIMARY KEY,
    group_id TEXT NOT NULL,
    facility_id TEXT NOT NULL REFERENCES lodging_facilities (id),
    organization_id TEXT NOT NULL,
    guest_kind TEXT NOT NULL,
    personal_id TEXT,
    passport_number TEXT,
    nationality TEXT NOT NULL,
    full_name TEXT NOT NULL,
    birth_date TEXT,
    address TEXT,
    visa TEXT,
    entry_date TEXT,
    border_gate TEXT,
    room TEXT NOT NULL,
    arrival_at BIGINT NOT NULL,
    expected_departure_at BIGINT,
    reason TEXT NOT NULL,
    checked_out_at BIGINT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX lodging_checkins_facility ON lodging_checkins (facility_id, arrival_at);
CREATE INDEX lodging_checkins_org ON lodging_checkins (organization_id, arrival_at);

-- The notification sent to the police of the facility's commune, as submitted.
CREATE TABLE lodging_notifications (
    id TEXT PRIMARY KEY,
    checkin_id TEXT NOT NULL REFERENCES lodging_checkins (id),
    facility_id TEXT NOT NULL,
    facility_name TEXT NOT NULL,
    commune_code TEXT NOT NULL,
    province_code TEXT NOT NULL,
    guest_kind TEXT NOT NULL,
    personal_id TEXT,
    passport_number TEXT,
    nationality TEXT NOT NULL,
    full_name TEXT NOT NULL,
    reason TEXT NOT NULL,
    arrival_at BIGINT NOT NULL,
    expected_departure_at BIGINT,
    deadline_at BIGINT NOT NULL,
    submitted_at BIGINT NOT NULL,
    late BIGINT NOT NULL
);
CREATE INDEX lodging_notifications_commune ON lodging_notifications (commune_code, arrival_at);
CREATE INDEX lodging_notifications_province ON lodging_notifications (province_code, arrival_at);

-- Results of writes made with an Idempotency-Key, per caller, so a retry returns the first result.
CREATE TABLE lodging_idempotency (
    actor_id TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    response TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (actor_id, idem_key)
);
