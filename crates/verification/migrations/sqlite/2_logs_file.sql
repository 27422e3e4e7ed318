-- The verification history and the used identity-QR nonces move to the attached `logs` database
-- (a file of its own, see db::LOGS_SCHEMA): every verification writes them, and their commits then
-- no longer make the registry's readers drop their page caches.
CREATE TABLE logs.verifications (
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
INSERT INTO logs.verifications SELECT id, org_id, actor_id, actor_label, method, purpose, subject_id, outcome,
    card_status, person_status, assurance, summary, created_at FROM main.verifications;
DROP TABLE main.verifications;
CREATE INDEX logs.verifications_org ON verifications (org_id, created_at);

CREATE TABLE logs.used_nonces (
    nonce TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
INSERT INTO logs.used_nonces SELECT nonce, expires_at FROM main.used_nonces;
DROP TABLE main.used_nonces;
CREATE INDEX logs.used_nonces_expiry ON used_nonces (expires_at);
