-- Declarations are listed with the facilities' notifications and searched by name the same way.
ALTER TABLE lodging_declarations ADD COLUMN name_folded TEXT;

-- A stay at a hospital_ward facility (model 11): an inpatient (ward, bed; admission and expected
-- discharge are the check-in's arrival and expected departure) or a caregiver staying overnight
-- with an inpatient of the same facility (patient_checkin_id). Discharging the inpatient checks
-- its caregivers out.
CREATE TABLE lodging_hospital_stays (
    checkin_id TEXT PRIMARY KEY REFERENCES lodging_checkins (id),
    facility_id TEXT NOT NULL REFERENCES lodging_facilities (id),
    role TEXT NOT NULL,
    ward TEXT,
    bed TEXT,
    patient_checkin_id TEXT REFERENCES lodging_checkins (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX lodging_hospital_stays_patient ON lodging_hospital_stays (patient_checkin_id);
CREATE INDEX lodging_hospital_stays_facility ON lodging_hospital_stays (facility_id, role);
