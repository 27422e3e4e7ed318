-- Citizens' consents to members (exchange::consent): for purposes that need it (a bank's credit
-- check, a private clinic), a member's request names a consent the citizen gave it, checked on
-- every call. `id` is the code the citizen hands over (DY-XXXX-XXXX-XXXX); `fields` the service
-- fields covered, sorted, comma-separated; times in UTC milliseconds.
CREATE TABLE exchange_consents (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL,
    member_code TEXT NOT NULL REFERENCES exchange_members (code),
    purpose TEXT NOT NULL,
    fields TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    withdrawn_at BIGINT
);
CREATE INDEX exchange_consents_person ON exchange_consents (person_id, granted_at);
CREATE INDEX exchange_consents_member ON exchange_consents (member_code, purpose);
