-- Long-distance coach trips of a coach-operator facility. Passengers boarding are checked in to
-- the operator facility with the trip's id: each boarding is a lodging notification to the police
-- of the operator's commune, and the trip's check-ins are its passenger manifest.
CREATE TABLE lodging_trips (
    id TEXT PRIMARY KEY,
    facility_id TEXT NOT NULL REFERENCES lodging_facilities (id),
    organization_id TEXT NOT NULL,
    commune_code TEXT NOT NULL,
    province_code TEXT NOT NULL,
    route TEXT NOT NULL,
    plate TEXT NOT NULL,
    departure_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX lodging_trips_org ON lodging_trips (organization_id, departure_at);
CREATE INDEX lodging_trips_commune ON lodging_trips (commune_code, departure_at);

ALTER TABLE lodging_checkins ADD COLUMN trip_id TEXT;
CREATE INDEX lodging_checkins_trip ON lodging_checkins (trip_id);
