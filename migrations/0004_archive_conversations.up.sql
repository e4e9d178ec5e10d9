-- Archiving hides a conversation without deleting it.
ALTER TABLE conversations ADD COLUMN archived_at TIMESTAMP;

CREATE INDEX conversations_active ON conversations (user_id) WHERE archived_at IS NULL;
