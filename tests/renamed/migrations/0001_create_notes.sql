CREATE TABLE notes (
    id    INTEGER PRIMARY KEY,
    body  TEXT NOT NULL,
    words INTEGER NULL
);
INSERT INTO notes (id, body) VALUES (1, 'one two three'), (2, 'four');
