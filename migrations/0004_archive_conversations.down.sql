ALTER TABLE conversations DROP COLUMN archived_at;
