-- Step 1 of 3 of moving messages from plain `content` to structured `parts` (a JSON array of
-- text and code blocks): the new column, nullable while it is being filled.
ALTER TABLE messages ADD COLUMN parts TEXT NULL;
