-- The case an officer's read served (investigation file number, application receipt code), for
-- the purposes that name one.
ALTER TABLE logs.access_log ADD COLUMN case_ref TEXT;
