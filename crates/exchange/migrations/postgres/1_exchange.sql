-- The exchange's global configuration (what X-Road calls it): members, their information systems
-- (subsystems), the subsystems' public keys and their rights.
CREATE TABLE exchange_members (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- government, business, bank
    class TEXT NOT NULL,
    -- pending, approved, suspended
    status TEXT NOT NULL,
    status_reason TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    status_changed_at BIGINT NOT NULL
);
CREATE TABLE exchange_subsystems (
    member_code TEXT NOT NULL REFERENCES exchange_members (code),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    -- approved, suspended
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (member_code, code)
);
-- A subsystem's public signing keys (JWK): a key verifies requests from valid_from until valid_to
-- (UTC milliseconds), so a new key can be added before the old one ends (rotation with overlap).
CREATE TABLE exchange_keys (
    kid TEXT PRIMARY KEY,
    member_code TEXT NOT NULL,
    subsystem_code TEXT NOT NULL,
    jwk TEXT NOT NULL,
    valid_from BIGINT NOT NULL,
    valid_to BIGINT,
    added_at BIGINT NOT NULL,
    FOREIGN KEY (member_code, subsystem_code) REFERENCES exchange_subsystems (member_code, code)
);
CREATE INDEX exchange_keys_subsystem ON exchange_keys (member_code, subsystem_code);
-- Rights: subsystem x service x purpose (legal basis) x fields, valid between two dates (Vietnam
-- time, inclusive), with a daily quota. Revoked rights stay, with who revoked them and when.
CREATE TABLE exchange_rights (
    id TEXT PRIMARY KEY,
    member_code TEXT NOT NULL,
    subsystem_code TEXT NOT NULL,
    service TEXT NOT NULL,
    purpose TEXT NOT NULL,
    -- sorted, comma-separated
    fields TEXT NOT NULL,
    valid_from TEXT NOT NULL,
    valid_to TEXT,
    daily_quota BIGINT NOT NULL,
    granted_at BIGINT NOT NULL,
    granted_by TEXT NOT NULL,
    revoked_at BIGINT,
    revoked_by TEXT,
    FOREIGN KEY (member_code, subsystem_code) REFERENCES exchange_subsystems (member_code, code)
);
CREATE INDEX exchange_rights_lookup ON exchange_rights (member_code, subsystem_code, service, purpose);
-- Written by every accepted request (on SQLite in the logs file).
-- Request ids seen, once per member: a second request with the same id is a replay.
CREATE TABLE exchange_requests (
    member_code TEXT NOT NULL,
    request_id TEXT NOT NULL,
    subsystem_code TEXT NOT NULL,
    service TEXT NOT NULL,
    right_id TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (member_code, request_id)
);
-- The purge of request ids that can no longer be replayed (Gateway::purge_expired).
CREATE INDEX exchange_requests_expiry ON exchange_requests (expires_at);
-- Requests counted against each right per day (Vietnam time).
CREATE TABLE exchange_quota_use (
    right_id TEXT NOT NULL,
    day TEXT NOT NULL,
    used BIGINT NOT NULL,
    PRIMARY KEY (right_id, day)
);
