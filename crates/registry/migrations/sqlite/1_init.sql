-- Population registry of one province (CSDLQG về dân cư, provincial slice).
-- Keys: personal_id is the 12-digit number as text; other ids are UUIDv7 text.
-- Dates: partial dates as text (YYYY, YYYY-MM, YYYY-MM-DD). Timestamps: UTC milliseconds.

CREATE TABLE admin_provinces (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    short_name TEXT NOT NULL
);

CREATE TABLE admin_communes (
    code TEXT PRIMARY KEY,
    province_code TEXT NOT NULL REFERENCES admin_provinces(code),
    name TEXT NOT NULL,
    short_name TEXT NOT NULL,
    kind TEXT NOT NULL,
    lat DOUBLE PRECISION,
    lon DOUBLE PRECISION,
    area_km2 DOUBLE PRECISION
);
CREATE INDEX admin_communes_province ON admin_communes (province_code);

CREATE TABLE households (
    id TEXT PRIMARY KEY,
    head_id TEXT NOT NULL,
    commune_code TEXT NOT NULL REFERENCES admin_communes(code),
    address TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX households_commune ON households (commune_code);

CREATE TABLE persons (
    personal_id TEXT PRIMARY KEY,
    full_name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    gender TEXT,
    birth_date TEXT,
    birth_year BIGINT,
    birth_place TEXT,
    hometown TEXT,
    ethnicity TEXT,
    religion TEXT,
    nationality TEXT NOT NULL,
    old_id TEXT,
    status TEXT NOT NULL,
    death_date TEXT,
    father_id TEXT,
    mother_id TEXT,
    spouse_id TEXT,
    household_id TEXT REFERENCES households(id),
    relationship TEXT,
    current_commune TEXT REFERENCES admin_communes(code),
    current_address TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX persons_name ON persons (name_folded, birth_year);
CREATE INDEX persons_commune_name ON persons (current_commune, name_folded);
CREATE INDEX persons_household ON persons (household_id);
CREATE INDEX persons_old_id ON persons (old_id);

CREATE TABLE residences (
    id TEXT PRIMARY KEY,
    personal_id TEXT NOT NULL REFERENCES persons(personal_id),
    kind TEXT NOT NULL,
    commune_code TEXT NOT NULL REFERENCES admin_communes(code),
    address TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    expiry_date TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX residences_person ON residences (personal_id, start_date);
CREATE INDEX residences_commune ON residences (commune_code, kind);

CREATE TABLE identity_cards (
    id TEXT PRIMARY KEY,
    personal_id TEXT NOT NULL REFERENCES persons(personal_id),
    kind TEXT NOT NULL,
    issue_date TEXT NOT NULL,
    expiry_date TEXT,
    issuer TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX identity_cards_person ON identity_cards (personal_id, issue_date);

-- Death registrations received from civil status (hộ tịch); the registry must follow them.
CREATE TABLE civil_deaths (
    personal_id TEXT PRIMARY KEY,
    death_date TEXT NOT NULL,
    registered_at BIGINT NOT NULL
);

CREATE TABLE person_events (
    id TEXT PRIMARY KEY,
    personal_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    reason TEXT NOT NULL,
    occurred_at BIGINT NOT NULL,
    previous TEXT,
    current TEXT
);
CREATE INDEX person_events_person ON person_events (personal_id, occurred_at);

CREATE TABLE quality_runs (
    id TEXT PRIMARY KEY,
    started_at BIGINT NOT NULL,
    finished_at BIGINT NOT NULL,
    persons_checked BIGINT NOT NULL
);

CREATE TABLE quality_findings (
    run_id TEXT NOT NULL REFERENCES quality_runs(id),
    rule TEXT NOT NULL,
    personal_id TEXT NOT NULL,
    commune_code TEXT,
    detail TEXT NOT NULL,
    PRIMARY KEY (run_id, rule, personal_id)
);
CREATE INDEX quality_findings_commune ON quality_findings (run_id, commune_code, rule);

CREATE TABLE registry_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
