-- A version is ready as soon as its insights are stored; its columnar snapshot (what exports and
-- queries read) is written right after, by the same job. Its state: 'writing' until it is stored,
-- then 'ready', or 'failed' with the reason in snapshot_error (the insights stay ready).
-- Versions made ready before this column existed had their snapshot written before ready.
ALTER TABLE dataset_versions ADD COLUMN snapshot_status TEXT;
ALTER TABLE dataset_versions ADD COLUMN snapshot_error TEXT;
UPDATE dataset_versions SET snapshot_status = 'ready' WHERE status = 'ready';
