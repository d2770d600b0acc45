-- State every auth-related instance must share, so a role can run as several processes.

-- The public halves of the access-token signing keys, published by the auth role before it signs
-- with one. Every other role verifies tokens with the keys listed here and reads the table again
-- when a token names a kid it does not know, so a rotation needs no restart anywhere. No secret:
-- private keys never enter the database.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    created_at BIGINT NOT NULL,
    public_key_pem TEXT NOT NULL
);

-- Request counters of the rate limits every instance counts together (login and sign-up per
-- client address): one row per limit, hashed key and fixed window.
CREATE TABLE rate_windows (
    window_key TEXT PRIMARY KEY,
    hits BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX rate_windows_expiry ON rate_windows (expires_at);
