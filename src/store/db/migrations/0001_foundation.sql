-- Tenants, users, datasets and their versions, the DB-table job queue and the outbox.
-- Times are BIGINT milliseconds since the Unix epoch (UTC); ids are random text.
CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
-- One login identity per e-mail address (stored lower-cased), across all organizations.
CREATE UNIQUE INDEX users_email ON users (email);
CREATE INDEX users_tenant ON users (tenant_id, created_at);

CREATE TABLE datasets (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    format TEXT NOT NULL,
    latest_version BIGINT NOT NULL,
    version_seq BIGINT NOT NULL,  -- the last version number handed out (an aborted upload skips one)
    created_by TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX datasets_tenant_created ON datasets (tenant_id, created_at, id);

CREATE TABLE dataset_versions (
    tenant_id TEXT NOT NULL,
    dataset_id TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    format TEXT NOT NULL,
    status TEXT NOT NULL,
    object_key TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '{}',
    bytes_done BIGINT NOT NULL DEFAULT 0,
    rows_done BIGINT NOT NULL DEFAULT 0,
    rows_total BIGINT,
    rows_rejected BIGINT,
    error TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    started_at BIGINT,
    progress_at BIGINT,
    ready_at BIGINT,
    PRIMARY KEY (dataset_id, version)
);
CREATE INDEX dataset_versions_tenant ON dataset_versions (tenant_id, dataset_id);

-- The embedded job queue: SQS semantics (visibility timeout, receipt handles, receive count,
-- dead-letter queue) in a table. Delivery is at least once; consumers are idempotent.
CREATE TABLE queue_messages (
    id TEXT PRIMARY KEY,
    queue TEXT NOT NULL,
    body TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    visible_at BIGINT NOT NULL,
    receive_count BIGINT NOT NULL DEFAULT 0,
    receipt TEXT
);
CREATE INDEX queue_messages_visible ON queue_messages (queue, visible_at);

-- Transactional outbox: a message is written in the same transaction as the state it announces
-- and relayed to the queue afterwards, so a crash can never leave an accepted upload without a job.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
