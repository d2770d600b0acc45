-- The insight set of each dataset version: one row per payload (schema, summary, one time series
-- per time column, groups per dimension, breakdowns). Written in the transaction that marks the
-- version ready; re-processing replaces them.
CREATE TABLE dataset_results (
    tenant_id TEXT NOT NULL,
    dataset_id TEXT NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL DEFAULT '',
    payload TEXT NOT NULL,
    computed_at BIGINT NOT NULL,
    PRIMARY KEY (dataset_id, version, kind, name)
);
CREATE INDEX dataset_results_tenant ON dataset_results (tenant_id, dataset_id, version);

ALTER TABLE dataset_versions ADD COLUMN invalid_values BIGINT;
ALTER TABLE dataset_versions ADD COLUMN issues BIGINT;

-- @postgres
ALTER TABLE dataset_results ENABLE ROW LEVEL SECURITY;
ALTER TABLE dataset_results FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON dataset_results USING (tenant_id = app_tenant())
    WITH CHECK (tenant_id = app_tenant());
-- @all
