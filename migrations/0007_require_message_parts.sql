-- Step 3 of 3: `parts` becomes required and `content` goes. SQLite cannot make a column
-- NOT NULL in place, so the table is rebuilt, the one form SQLite, PostgreSQL and MySQL all
-- accept. A message the backfill missed would fail the INSERT, and with it this migration.
CREATE TABLE messages_new (
    id              VARCHAR(36) PRIMARY KEY,
    conversation_id VARCHAR(36) NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role            VARCHAR(16) NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    parts           TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

INSERT INTO messages_new (id, conversation_id, role, parts, created_at)
SELECT id, conversation_id, role, parts, created_at FROM messages;

-- migrate:allow drop-table -- the release before this one reads and writes only `parts`
-- (step 2 of 3), which the rebuilt table keeps under the same name.
DROP TABLE messages;

ALTER TABLE messages_new RENAME TO messages;

CREATE INDEX messages_conversation_id ON messages (conversation_id, created_at);
