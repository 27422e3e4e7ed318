-- Signing keys of the platform (OIDC ID tokens, verification receipts, dynamic identity QR).
-- A key is active while activated_at is set and retired_at is not; a retired key is still
-- published and accepted for verification until expires_at.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    alg TEXT NOT NULL,
    private_pem TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    activated_at BIGINT,
    retired_at BIGINT,
    expires_at BIGINT
);
CREATE INDEX signing_keys_live ON signing_keys (retired_at, expires_at);
