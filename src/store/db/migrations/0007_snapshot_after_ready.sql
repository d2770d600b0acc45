-- A version is ready as soon as its insights are stored; its columnar snapshot (what exports and
-- queries read) is written right after, by the same job. Its state: 'writing' from ready until it
-- is stored, then 'ready', or 'failed' with the reason in snapshot_error (the insights stay
-- ready). Versions made ready before this column existed had their snapshot written before ready:
-- 'ready' (a DEFAULT, not an UPDATE: the rows of every tenant, which row-level security would hide
-- from a migration's UPDATE on PostgreSQL). The column means nothing until the version is ready.
ALTER TABLE dataset_versions ADD COLUMN snapshot_status TEXT NOT NULL DEFAULT 'ready';
ALTER TABLE dataset_versions ADD COLUMN snapshot_error TEXT;
