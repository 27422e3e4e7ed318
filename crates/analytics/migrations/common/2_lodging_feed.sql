-- Lodging figures are fed by polling the lodging module (dancu's lodging_figures): ids are kept
-- only as long as a poll may read an event again (one hour), so each id records when it came.
ALTER TABLE analytics_ingested ADD COLUMN ingested_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX analytics_ingested_at ON analytics_ingested (source, ingested_at);

-- Guest-nights per month in which the night falls (the night starting on a day belongs to that
-- day's month), from ended stays: the numerator of bed-place occupancy.
CREATE TABLE analytics_lodging_nights (
    month TEXT NOT NULL,
    commune_code TEXT NOT NULL,
    facility_type TEXT NOT NULL,
    nights BIGINT NOT NULL,
    PRIMARY KEY (month, commune_code, facility_type)
);

-- Nationalities are now ISO 3166-1 alpha-3 (VNM for citizens) instead of alpha-2. Counts stored
-- under the old codes are dropped; the lodging feed has no position yet, so its first run replays
-- every lodging event from the lodging tables.
DELETE FROM analytics_lodging_stays;
DELETE FROM analytics_lodging_flags;
DELETE FROM analytics_ingested WHERE source = 'lodging';
