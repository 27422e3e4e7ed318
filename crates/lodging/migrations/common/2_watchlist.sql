-- Watchlist (danh sách truy nã, đối tượng cần chú ý): entries matched against every check-in.
-- subject_key is the personal id, or 'passport:<nationality>:<number>' for a foreigner.
CREATE TABLE lodging_watchlist (
    id TEXT PRIMARY KEY,
    subject_key TEXT NOT NULL,
    personal_id TEXT,
    passport_number TEXT,
    nationality TEXT,
    full_name TEXT,
    category TEXT NOT NULL,
    reason TEXT NOT NULL,
    owner_kind TEXT NOT NULL,
    owner_code TEXT NOT NULL,
    province_code TEXT NOT NULL,
    active BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    deactivated_by TEXT,
    deactivated_at BIGINT
);
CREATE INDEX lodging_watchlist_subject ON lodging_watchlist (subject_key, active);
CREATE INDEX lodging_watchlist_owner ON lodging_watchlist (owner_kind, owner_code, created_at);
CREATE INDEX lodging_watchlist_province ON lodging_watchlist (province_code, created_at);

-- Who created, deactivated or listed watchlist entries (kept apart from the citizen-visible
-- access log so that a listed person is not tipped off).
CREATE TABLE lodging_watchlist_audit (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_label TEXT NOT NULL,
    action TEXT NOT NULL,
    entry_id TEXT,
    detail TEXT NOT NULL
);
CREATE INDEX lodging_watchlist_audit_at ON lodging_watchlist_audit (at);

-- An alert raised when a check-in matched an active watchlist entry, for the police of the
-- facility's commune, of the province, and of the commune that owns the entry (owner_commune).
CREATE TABLE lodging_alerts (
    id TEXT PRIMARY KEY,
    watchlist_id TEXT NOT NULL REFERENCES lodging_watchlist (id),
    source TEXT NOT NULL,
    source_id TEXT NOT NULL,
    facility_id TEXT NOT NULL,
    facility_name TEXT NOT NULL,
    commune_code TEXT NOT NULL,
    province_code TEXT NOT NULL,
    owner_commune TEXT,
    subject_key TEXT NOT NULL,
    full_name TEXT NOT NULL,
    category TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    status TEXT NOT NULL,
    acked_by TEXT,
    acked_at BIGINT,
    ack_note TEXT
);
CREATE INDEX lodging_alerts_commune ON lodging_alerts (commune_code, created_at);
CREATE INDEX lodging_alerts_owner ON lodging_alerts (owner_commune, created_at);
CREATE INDEX lodging_alerts_province ON lodging_alerts (province_code, created_at);

-- A guest's own history and the police history search read stays by person.
CREATE INDEX lodging_checkins_person ON lodging_checkins (personal_id, arrival_at);
CREATE INDEX lodging_checkins_passport ON lodging_checkins (passport_number, arrival_at);

-- Folded names (no diacritics, lower case) for searching stays and notifications by name.
ALTER TABLE lodging_checkins ADD COLUMN name_folded TEXT;
ALTER TABLE lodging_notifications ADD COLUMN name_folded TEXT;
