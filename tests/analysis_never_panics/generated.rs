//! Generated SQL: random text of SQL-ish tokens, and statements from templates over a small
//! pool of names (so that they meet each other's objects).

use migrate::lint::{Rule, Settings};
use proptest::prelude::*;

use super::{case_files, CaseFile};

/// Tokens that matter to the splitter, the parser and the model.
// Grouped by hand: one per line (rustfmt's layout for these) would take 120 lines.
#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "CREATE", "TABLE", "INDEX", "UNIQUE", "CONCURRENTLY", "IF", "NOT", "EXISTS", "ALTER", "ADD",
    "COLUMN", "DROP", "RENAME", "TO", "TYPE", "SET", "NULL", "DEFAULT", "PRIMARY", "KEY",
    "FOREIGN", "REFERENCES", "CHECK", "CONSTRAINT", "VALID", "USING", "ON", "UPDATE", "DELETE",
    "FROM", "WHERE", "INSERT", "INTO", "VALUES", "SELECT", "BEGIN", "COMMIT", "ROLLBACK",
    "FUNCTION", "RETURNS", "AS", "LANGUAGE", "plpgsql", "DO", "TRIGGER", "EXECUTE", "SECURITY",
    "DEFINER", "VIEW", "SCHEMA", "EXTENSION", "ENUM", "MODIFY", "AFTER", "END", "DELIMITER",
    "PASSWORD", "ROLE", "USER", "now()", "lock_timeout", "INT", "TEXT", "BIGINT", "VARCHAR(10)",
    "t", "u", "users", "id", "a", "b", "public.t", "s.u", "\"T\"", "\"a b\"", "`t`", "[t]",
    "'x'", "'it''s'", "E'\\x'", "''", "'", "\"", "`", "$$", "$f$", "$1", "(", ")", ",", ".",
    ";", ";;", "=", "*", "1", "-1", "1e9", "-- c\n", "--", "-- migrate:allow drop-column\n",
    "-- migrate:allow nothing\n", "-- migrate:no-transaction\n", "/*", "*/", "/* c */", "#",
    "\n", "\r\n", "\t", " ", "é", "💥", "\u{feff}", "\0",
];

/// A token of [`TOKENS`], or a lowercase word.
pub fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(TOKENS).prop_map(str::to_owned),
        "[a-z_]{1,8}",
    ]
}

/// Random text made of [`token`]s.
pub fn sqlish() -> impl Strategy<Value = String> {
    prop::collection::vec((token(), prop::sample::select(vec!["", " ", "\n"])), 0..60).prop_map(
        |pieces| {
            pieces
                .into_iter()
                .map(|(token, separator)| format!("{token}{separator}"))
                .collect()
        },
    )
}

/// A name from a small pool, so that statements meet each other's objects.
fn table() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["t", "u", "users", "\"T\"", "public.t", "s.t", "`u`"])
}

fn column() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["a", "b", "id", "\"A\"", "name"])
}

/// A statement from a template over the pools of names.
fn statement() -> impl Strategy<Value = String> {
    (
        0..34u8,
        table(),
        table(),
        column(),
        column(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(template, t, t2, c, c2, flag, other)| {
            let maybe = |yes: bool, text: &str| if yes { text.to_owned() } else { String::new() };
            match template {
                0 => format!("CREATE TABLE {} {t} ({c} INT, {c2} TEXT)", maybe(flag, "IF NOT EXISTS")),
                1 => format!("CREATE TABLE {t} ({c} BIGINT PRIMARY KEY, {c2} INT REFERENCES {t2} ({c}))"),
                2 => format!("DROP TABLE {} {t}", maybe(flag, "IF EXISTS")),
                3 => format!(
                    "ALTER TABLE {t} ADD COLUMN {c} INT {} {}",
                    maybe(flag, "NOT NULL"),
                    maybe(other, "DEFAULT now()")
                ),
                4 => format!("ALTER TABLE {t} DROP COLUMN {} {c}", maybe(flag, "IF EXISTS")),
                5 => format!("ALTER TABLE {t} RENAME COLUMN {c} TO {c2}"),
                6 => format!("ALTER TABLE {t} RENAME TO {t2}"),
                7 => format!("ALTER TABLE {t} ALTER COLUMN {c} TYPE BIGINT"),
                8 => format!("ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL"),
                9 => format!(
                    "ALTER TABLE {t} ADD CONSTRAINT {t}_fk FOREIGN KEY ({c}) REFERENCES {t2} ({c2}) {}",
                    maybe(flag, "NOT VALID")
                ),
                10 => format!("ALTER TABLE {t} ADD CONSTRAINT {t}_ck CHECK ({c} > 0) {}", maybe(flag, "NOT VALID")),
                11 => format!("ALTER TABLE {t} ADD UNIQUE ({c})"),
                12 => format!("ALTER TABLE {t} ADD PRIMARY KEY ({c})"),
                13 => format!(
                    "CREATE {} INDEX {} {t}_{c}_idx ON {t} ({c})",
                    maybe(other, "UNIQUE"),
                    maybe(flag, "CONCURRENTLY")
                ),
                14 => format!("DROP INDEX {} {} {t}_{c}_idx", maybe(flag, "CONCURRENTLY"), maybe(other, "IF EXISTS")),
                15 => format!("UPDATE {t} SET {c} = 1 {}", maybe(flag, &format!("WHERE {c2} = 2"))),
                16 => format!("DELETE FROM {t} {}", maybe(flag, &format!("WHERE {c} IS NULL"))),
                17 => format!("INSERT INTO {t} ({c}, {c2}) VALUES (1, 'x;y')"),
                18 => "SET lock_timeout = '2s'".to_owned(),
                19 => "CREATE SCHEMA s".to_owned(),
                20 => "CREATE TYPE mood AS ENUM ('sad', 'ok')".to_owned(),
                21 => format!("CREATE VIEW {t}_v AS SELECT {c} FROM {t}"),
                22 => format!(
                    "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN UPDATE {t} SET {c} = 1; RETURN NEW; END $$ LANGUAGE plpgsql {}",
                    maybe(flag, "SECURITY DEFINER")
                ),
                23 => format!("CREATE TRIGGER tr BEFORE INSERT ON {t} FOR EACH ROW EXECUTE FUNCTION f()"),
                24 => format!("DO $$ BEGIN EXECUTE 'DROP TABLE {t}'; END $$"),
                25 => "CREATE ROLE app LOGIN PASSWORD 'hunter2'".to_owned(),
                26 => "BEGIN".to_owned(),
                27 => "COMMIT".to_owned(),
                28 => format!("ALTER TABLE {t} MODIFY COLUMN {c} BIGINT NOT NULL"),
                29 => format!("-- migrate:allow {}\nALTER TABLE {t} DROP COLUMN {c}", if flag { "drop-column" } else { "no-such-rule" }),
                30 => format!("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA {t}"),
                31 => format!("ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT gen_random_uuid()"),
                32 => format!("CREATE INDEX {t}_expr ON {t} (lower({c})) WHERE {c2} IS NOT NULL"),
                _ => format!("SELECT {c} FROM {t} WHERE {c2} = 'a''b'"),
            }
        })
}

/// Statements joined by delimiters, comments and line breaks.
pub fn statements() -> impl Strategy<Value = String> {
    let separator =
        prop::sample::select(vec![";\n", ";", "; ", ";\n\n-- next\n", ";\r\n", "\n;\n\t"]);
    prop::collection::vec((statement(), separator), 0..10).prop_map(|pieces| {
        pieces
            .into_iter()
            .map(|(statement, separator)| format!("{statement}{separator}"))
            .collect()
    })
}

/// Up to four files of `content`, each maybe with a down file.
pub fn files_of<S: Strategy<Value = String>>(
    content: impl Fn() -> S,
) -> impl Strategy<Value = Vec<CaseFile>> {
    prop::collection::vec(
        (
            content(),
            any::<bool>(),
            prop::option::weighted(0.3, content()),
        ),
        1..5,
    )
    .prop_map(case_files)
}

/// Some rules allowed for the whole directory, or none.
pub fn settings() -> impl Strategy<Value = Settings> {
    prop::sample::subsequence(Rule::ALL.to_vec(), 0..3).prop_map(Settings::allowing)
}
