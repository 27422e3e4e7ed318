-- Replay keys of state-changing requests (Idempotency-Key): see db::idempotency.
CREATE TABLE idempotency_keys (
    actor_id TEXT NOT NULL,
    idem_key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    boot TEXT NOT NULL,
    bound BIGINT NOT NULL DEFAULT 0,
    status BIGINT,
    headers TEXT,
    body TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (actor_id, idem_key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
