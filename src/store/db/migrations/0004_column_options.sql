-- The column settings an analyst chose for a dataset (type, role, date order, decimal mark per
-- column, as a version's options JSON), applied to its later uploads; and for a version
-- reprocessed from the source file of an earlier one, that version (its bytes are not stored
-- twice, so storage quotas do not count them twice).
ALTER TABLE datasets ADD COLUMN column_options TEXT NOT NULL DEFAULT '{}';
ALTER TABLE dataset_versions ADD COLUMN source_version BIGINT;
