-- One person, several organizations. A membership is a users row of one organization; the same
-- e-mail address may be a member of many, each with its own role and its own password hash. An
-- e-mail and password sign in to every organization whose membership that password opens, so
-- adding a member never depends on, nor reveals, what the address is in other organizations.
DROP INDEX users_email;
CREATE UNIQUE INDEX users_tenant_email ON users (tenant_id, email);
-- Bumped when a password is changed or reset and when the member signs out everywhere: access
-- tokens carry the epoch they were issued in and die with it.
ALTER TABLE users ADD COLUMN token_epoch BIGINT NOT NULL DEFAULT 0;
-- Set by an admin's password reset: the member must choose a new one before doing anything else.
ALTER TABLE users ADD COLUMN must_change_password BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_login_at BIGINT NOT NULL DEFAULT 0;

-- Which organizations an e-mail address is a member of (no secret; the hashes stay in users,
-- behind row-level security). `salt` is the address's one Argon2id salt: every membership hash
-- of an address uses it, so a login derives the key once however many organizations it has (the
-- time of a login says nothing about how many). NULL for hashes made before this migration.
CREATE TABLE login_memberships (
    email TEXT NOT NULL,
    tenant_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    salt TEXT,
    PRIMARY KEY (email, tenant_id)
);
INSERT INTO login_memberships (email, tenant_id, user_id) SELECT email, tenant_id, user_id FROM login_index;
DROP TABLE login_index;

-- Failed logins, by account (sha256 of the e-mail) and by account and source together, whether
-- or not the account exists: the throttle answers known and unknown addresses alike.
CREATE TABLE login_attempts (
    attempt_key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL
);
CREATE INDEX login_attempts_age ON login_attempts (last_failure_at);
