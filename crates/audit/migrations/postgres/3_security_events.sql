-- Security events for the SOC (audit::security). `subject` is a keyed pseudonym (HMAC-SHA256),
-- never an id in clear; '' when there is none.
CREATE TABLE security_events (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    severity INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    subject TEXT NOT NULL,
    client TEXT NOT NULL,
    route TEXT NOT NULL,
    request_id TEXT NOT NULL,
    detail TEXT NOT NULL
);
-- Newest-first listing and retention (delete before a time) go by `at`.
CREATE INDEX security_events_at ON security_events (at);
CREATE INDEX security_events_subject ON security_events (subject, at);
-- The pseudonym key generated when none is configured (one row), so that pseudonyms stay the same
-- across restarts.
CREATE TABLE security_keys (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    pseudonym_key TEXT NOT NULL
);
