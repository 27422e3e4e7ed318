-- A removed passkey is kept (with the date) so the account page can show the history.
ALTER TABLE webauthn_credentials ADD COLUMN removed_at BIGINT;
