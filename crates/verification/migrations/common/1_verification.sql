-- Purposes each organization may verify identities for (until organizations carry them).
CREATE TABLE verifier_purposes (
    org_id TEXT NOT NULL,
    purpose TEXT NOT NULL,
    PRIMARY KEY (org_id, purpose)
);

-- Simple lists a purpose checks against: exam registrations, coach tickets.
CREATE TABLE verifier_lists (
    org_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    list_code TEXT NOT NULL,
    personal_id TEXT NOT NULL,
    label TEXT NOT NULL,
    PRIMARY KEY (org_id, kind, list_code, personal_id)
);

-- One row per verification an organization made (its own history, exportable as CSV).
CREATE TABLE verifications (
    id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    actor_label TEXT NOT NULL,
    method TEXT NOT NULL,
    purpose TEXT NOT NULL,
    subject_id TEXT,
    outcome TEXT NOT NULL,
    card_status TEXT,
    person_status TEXT,
    assurance TEXT NOT NULL,
    summary TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX verifications_org ON verifications (org_id, created_at);

-- Nonces of dynamic identity QR tokens already presented (single use), kept until they expire.
CREATE TABLE used_nonces (
    nonce TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX used_nonces_expiry ON used_nonces (expires_at);

-- Face images (DG2) kept for purposes that require them (notaries), base64 JPEG/JPEG 2000.
CREATE TABLE verification_faces (
    verification_id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    image_b64 TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
