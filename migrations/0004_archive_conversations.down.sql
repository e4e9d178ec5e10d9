DROP INDEX conversations_active;
ALTER TABLE conversations DROP COLUMN archived_at;
