-- Archiving hides a conversation without deleting it.
ALTER TABLE conversations ADD COLUMN archived_at TIMESTAMP NULL;
