-- Venues with entry/exit control (relic sites, tourist areas, stations, industrial zones), run by
-- an organization and approved by the police of the venue's commune like a facility.
-- gates: JSON array of gate names.
CREATE TABLE lodging_venues (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    commune_code TEXT NOT NULL,
    province_code TEXT NOT NULL,
    address TEXT NOT NULL,
    gates TEXT NOT NULL,
    organization_id TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_by TEXT,
    decided_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX lodging_venues_commune ON lodging_venues (commune_code);
CREATE INDEX lodging_venues_province ON lodging_venues (province_code);
CREATE INDEX lodging_venues_org ON lodging_venues (organization_id);

-- Raw gate scans, kept for the retention period (DANCU_VENUE_RETENTION_DAYS, default 30) and then
-- purged. An entry is open until the same person's exit closes it (exited_at, dwell_ms).
-- origin: the visitor's home province code, or the nationality of a foreigner.
CREATE TABLE lodging_venue_checkins (
    id TEXT PRIMARY KEY,
    venue_id TEXT NOT NULL REFERENCES lodging_venues (id),
    gate TEXT NOT NULL,
    direction TEXT NOT NULL,
    subject_key TEXT NOT NULL,
    origin TEXT NOT NULL,
    at BIGINT NOT NULL,
    exited_at BIGINT,
    dwell_ms BIGINT,
    created_by TEXT NOT NULL
);
CREATE INDEX lodging_venue_checkins_venue ON lodging_venue_checkins (venue_id, at);
CREATE INDEX lodging_venue_checkins_open ON lodging_venue_checkins (venue_id, subject_key, exited_at);
CREATE INDEX lodging_venue_checkins_at ON lodging_venue_checkins (at);

-- Daily aggregates per venue and origin, updated with every scan and kept after the raw scans are
-- purged (day: YYYY-MM-DD, Vietnam time).
CREATE TABLE lodging_venue_daily (
    venue_id TEXT NOT NULL REFERENCES lodging_venues (id),
    day TEXT NOT NULL,
    origin TEXT NOT NULL,
    commune_code TEXT NOT NULL,
    province_code TEXT NOT NULL,
    entries BIGINT NOT NULL,
    exits BIGINT NOT NULL,
    dwell_total_ms BIGINT NOT NULL,
    PRIMARY KEY (venue_id, day, origin)
);
CREATE INDEX lodging_venue_daily_commune ON lodging_venue_daily (commune_code, day);
