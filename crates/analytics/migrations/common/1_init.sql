-- Pre-aggregated figures for the IOC dashboards. No row identifies a person: every value is a
-- count per 2025 commune and dimension key.

-- Figures derived from the registry. `dimension` names the figure family (population, ethnicity,
-- religion, households, births, deaths, move_in, move_out, temp_residents, temp_absent); `k1` and
-- `k2` are its keys (birth year and gender, month and other province, …; '' when unused).
CREATE TABLE analytics_counts (
    dimension TEXT NOT NULL,
    commune_code TEXT NOT NULL,
    k1 TEXT NOT NULL,
    k2 TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (dimension, commune_code, k1, k2)
);

-- How far each source has been applied: the last event id of the registry's change feed.
CREATE TABLE analytics_checkpoints (
    source TEXT PRIMARY KEY,
    position TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    rebuilt_at BIGINT NOT NULL
);

-- Lodging stays per day of arrival: guests who arrived, stays that ended and their nights.
CREATE TABLE analytics_lodging_stays (
    day TEXT NOT NULL,
    commune_code TEXT NOT NULL,
    facility_type TEXT NOT NULL,
    nationality TEXT NOT NULL,
    origin_province TEXT NOT NULL,
    guests BIGINT NOT NULL,
    stays_ended BIGINT NOT NULL,
    nights BIGINT NOT NULL,
    PRIMARY KEY (day, commune_code, facility_type, nationality, origin_province)
);

-- Counted lodging signals per day: late notifications, watchlist alerts.
CREATE TABLE analytics_lodging_flags (
    day TEXT NOT NULL,
    commune_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    value BIGINT NOT NULL,
    PRIMARY KEY (day, commune_code, kind)
);

-- Ingested event ids, so a source that retries a delivery is counted once.
CREATE TABLE analytics_ingested (
    source TEXT NOT NULL,
    event_id TEXT NOT NULL,
    PRIMARY KEY (source, event_id)
);
