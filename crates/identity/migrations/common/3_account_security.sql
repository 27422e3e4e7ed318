CREATE TABLE account_status_changes (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    reason TEXT NOT NULL,
    actor_id TEXT,
    actor_label TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX account_status_changes_account ON account_status_changes (account_id);

CREATE TABLE identity_secrets (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
