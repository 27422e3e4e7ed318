CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    tax_code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    name_folded TEXT NOT NULL,
    kind TEXT NOT NULL,
    address TEXT NOT NULL,
    commune_code TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX organizations_name ON organizations (name_folded);

ALTER TABLE accounts ADD COLUMN person_id TEXT;
ALTER TABLE accounts ADD COLUMN level BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN level_raised_at BIGINT;
ALTER TABLE accounts ADD COLUMN phone TEXT;
ALTER TABLE accounts ADD COLUMN phone_verified_at BIGINT;
ALTER TABLE accounts ADD COLUMN organization_id TEXT REFERENCES organizations(id);
ALTER TABLE accounts ADD COLUMN org_role TEXT;
ALTER TABLE accounts ADD COLUMN guardian_account_id TEXT REFERENCES accounts(id);
ALTER TABLE accounts ADD COLUMN totp_secret TEXT;
ALTER TABLE accounts ADD COLUMN totp_enabled_at BIGINT;
ALTER TABLE accounts ADD COLUMN totp_last_step BIGINT;
ALTER TABLE accounts ADD COLUMN status_changed_at BIGINT;
CREATE UNIQUE INDEX accounts_person_id ON accounts (person_id);
CREATE INDEX accounts_organization ON accounts (organization_id);
CREATE INDEX accounts_guardian ON accounts (guardian_account_id);

ALTER TABLE sessions ADD COLUMN amr TEXT NOT NULL DEFAULT 'pwd';
ALTER TABLE sessions ADD COLUMN last_seen_at BIGINT;

CREATE TABLE org_invitations (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id),
    token_hash TEXT NOT NULL UNIQUE,
    contact TEXT NOT NULL,
    org_role TEXT NOT NULL,
    invited_by TEXT NOT NULL REFERENCES accounts(id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_account_id TEXT REFERENCES accounts(id),
    accepted_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX org_invitations_org ON org_invitations (organization_id);

CREATE TABLE otp_codes (
    id TEXT PRIMARY KEY,
    flow_hash TEXT NOT NULL UNIQUE,
    purpose TEXT NOT NULL,
    phone TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    consumed_at BIGINT
);
CREATE INDEX otp_codes_expiry ON otp_codes (expires_at);

CREATE TABLE sms_outbox (
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX sms_outbox_created ON sms_outbox (created_at);

CREATE TABLE recovery_codes (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    code_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX recovery_codes_account ON recovery_codes (account_id);

CREATE TABLE webauthn_credentials (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    credential_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    passkey TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX webauthn_credentials_account ON webauthn_credentials (account_id);

CREATE TABLE login_challenges (
    id_hash TEXT PRIMARY KEY,
    account_id TEXT REFERENCES accounts(id),
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    next TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE level_changes (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id),
    from_level BIGINT NOT NULL,
    to_level BIGINT NOT NULL,
    method TEXT NOT NULL,
    evidence TEXT NOT NULL,
    actor_id TEXT,
    actor_label TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX level_changes_account ON level_changes (account_id);
