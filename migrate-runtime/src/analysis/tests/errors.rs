//! Failures that are certain: each is reported, at the identifier it is about.

use super::{errors, errors_of, pg};
use crate::analysis::{Dialect, File, Problem};

#[test]
fn a_column_no_migration_added() {
    let found = pg(&[
        "CREATE TABLE memories (id bigint PRIMARY KEY, body text NOT NULL);",
        "-- index the source\nCREATE INDEX memories_source ON memories (source);",
    ]);
    assert_eq!(found.len(), 1, "{found:?}");
    let (problem, line, column, message) = &found[0];
    assert_eq!(*problem, Problem::Missing);
    assert_eq!((*line, *column), (2, 43));
    assert!(
        message.contains("column `memories.source` does not exist"),
        "{message}"
    );
}

#[test]
fn a_table_created_twice_after_a_merge() {
    let found = pg(&[
        "CREATE TABLE memories (id bigint PRIMARY KEY);",
        "CREATE TABLE users (id bigint);",
        "CREATE TABLE memories (id uuid PRIMARY KEY, body text);",
    ]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, Problem::AlreadyExists);
    assert_eq!((found[0].1, found[0].2), (1, 14));
    // With IF NOT EXISTS it is no failure.
    assert!(pg(&[
        "CREATE TABLE memories (id bigint);",
        "CREATE TABLE IF NOT EXISTS memories (id bigint);",
    ])
    .is_empty());
}

#[test]
fn alter_insert_update_drop_and_rename_of_missing_things() {
    let found = pg(&[
        "CREATE TABLE t (a int, b int);",
        "ALTER TABLE t DROP COLUMN c;\n\
         ALTER TABLE t RENAME COLUMN d TO e;\n\
         INSERT INTO t (a, f) VALUES (1, 2);\n\
         UPDATE t SET g = 1 WHERE a = 1;\n\
         ALTER TABLE nope ADD COLUMN x int;\n\
         DROP TABLE gone;\n\
         ALTER TABLE t ADD COLUMN a int;\n\
         ALTER TABLE t RENAME COLUMN a TO b;",
    ]);
    let described: Vec<(Problem, usize, &str)> = found
        .iter()
        .map(|(p, line, _, m)| (*p, *line, m.split(':').next().unwrap_or("")))
        .collect();
    assert_eq!(
        described,
        [
            (
                Problem::Missing,
                1,
                "column `t.c` does not exist at this point"
            ),
            (
                Problem::Missing,
                2,
                "column `t.d` does not exist at this point"
            ),
            (
                Problem::Missing,
                3,
                "column `t.f` does not exist at this point"
            ),
            (
                Problem::Missing,
                4,
                "column `t.g` does not exist at this point"
            ),
            (
                Problem::Missing,
                5,
                "table `nope` does not exist at this point"
            ),
            (
                Problem::Missing,
                6,
                "table `gone` does not exist at this point"
            ),
            (
                Problem::AlreadyExists,
                7,
                "column `t.a` already exists at this point"
            ),
            (
                Problem::AlreadyExists,
                8,
                "column `t.b` already exists at this point"
            ),
        ]
    );
}

#[test]
fn a_foreign_key_to_a_missing_table_or_column_on_postgres_only() {
    let sql = [
        "CREATE TABLE a (id int PRIMARY KEY);",
        "CREATE TABLE b (a_id int REFERENCES a (uid), c_id int REFERENCES c (id));",
    ];
    let found = pg(&sql);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].3.contains("column `a.uid`"));
    assert!(found[1].3.contains("table `c`"));
    // SQLite never checks the target, MySQL not with foreign_key_checks = 0.
    assert!(errors(Dialect::Sqlite, &sql).is_empty());
    assert!(errors(Dialect::MySql, &sql).is_empty());
    // A table may reference itself.
    assert!(pg(&["CREATE TABLE n (id int PRIMARY KEY, parent int REFERENCES n (id));"]).is_empty());
}

#[test]
fn the_order_inside_one_statement_counts() {
    assert!(pg(&[
        "CREATE TABLE t (a int);",
        "ALTER TABLE t ADD COLUMN b int, ADD CONSTRAINT t_b UNIQUE (b);",
    ])
    .is_empty());
    let found = pg(&["CREATE TABLE t (a int, PRIMARY KEY (id));"]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].3.contains("column `t.id`"));
}

#[test]
fn enum_values_types_and_indexes() {
    let found = pg(&[
        "CREATE TYPE mood AS ENUM ('sad', 'ok');\nCREATE TABLE t (a int);\nCREATE INDEX t_a ON t (a);",
        "ALTER TYPE mood ADD VALUE 'ok';\nCREATE INDEX t_a ON t (a);\nDROP INDEX idx_b;\nCREATE TYPE mood AS ENUM ('x');\nALTER TYPE feeling ADD VALUE 'x';",
    ]);
    let problems: Vec<(Problem, usize)> = found.iter().map(|f| (f.0, f.1)).collect();
    assert_eq!(
        problems,
        [
            (Problem::AlreadyExists, 1),
            (Problem::AlreadyExists, 2),
            (Problem::Missing, 3),
            (Problem::AlreadyExists, 4),
            (Problem::Missing, 5),
        ],
        "{found:?}"
    );
}

#[test]
fn dropped_and_renamed_objects_are_gone() {
    let found = pg(&[
        "CREATE TABLE t (a int, b int);",
        "ALTER TABLE t DROP COLUMN b;\nALTER TABLE t RENAME TO u;",
        "UPDATE t SET a = 1;\nUPDATE u SET b = 1;\nUPDATE u SET a = 1;",
    ]);
    let lines: Vec<usize> = found.iter().map(|f| f.1).collect();
    assert_eq!(lines, [1, 2], "{found:?}");
}

#[test]
fn statements_that_refuse_a_transaction() {
    let found = pg(&[
        "CREATE TABLE t (a int);",
        "CREATE INDEX CONCURRENTLY t_a ON t (a);",
    ]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, Problem::NeedsNoTransaction);
    assert!(found[0]
        .3
        .contains("`CREATE INDEX CONCURRENTLY` cannot run inside a transaction"));
    // In a `no-transaction` file it is fine.
    let files = [
        File::sql(1, "0001_t.sql", "CREATE TABLE t (a int);", true),
        File::sql(
            2,
            "0002_i.sql",
            "CREATE INDEX CONCURRENTLY t_a ON t (a);",
            false,
        ),
    ];
    assert!(errors_of(&files, Dialect::Postgres).is_empty());
    // VACUUM, ALTER SYSTEM, CREATE DATABASE too; MySQL has no such rule.
    for sql in [
        "VACUUM t",
        "ALTER SYSTEM SET work_mem = '1MB'",
        "CREATE DATABASE x",
    ] {
        assert_eq!(pg(&[sql])[0].0, Problem::NeedsNoTransaction, "{sql}");
    }
    assert!(errors(Dialect::MySql, &["CREATE DATABASE x"]).is_empty());
}

#[test]
fn down_scripts_are_checked_against_the_schema_after_their_up() {
    let files = [
        File::sql(1, "0001_t.up.sql", "CREATE TABLE t (a int);", true),
        File::down(1, "0001_t.down.sql", "DROP TABLE t;\nDROP TABLE t;", true),
        File::sql(2, "0002_u.up.sql", "ALTER TABLE t ADD COLUMN b int;", true),
        File::down(2, "0002_u.down.sql", "ALTER TABLE t DROP COLUMN c;", true),
    ];
    let found = errors_of(&files, Dialect::Postgres);
    let places: Vec<(usize, &str)> = found.iter().map(|f| (f.1, f.3.as_str())).collect();
    assert_eq!(found.len(), 2, "{places:?}");
    assert!(found[0].3.contains("table `t` does not exist"));
    assert_eq!(found[0].1, 2);
    assert!(found[1].3.contains("column `t.c` does not exist"));
}

#[test]
fn an_unknown_rule_in_an_opt_out_is_an_error() {
    let found = pg(&[
        "CREATE TABLE t (a int);\n-- migrate:allow drop-colum\nALTER TABLE t DROP COLUMN a;",
    ]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, Problem::UnknownRule);
    assert!(found[0].3.contains("`drop-colum`"));
}

#[test]
fn mysql_and_sqlite_names_ignore_case() {
    assert!(errors(
        Dialect::MySql,
        &[
            "CREATE TABLE Users (Id int);",
            "ALTER TABLE users ADD COLUMN name text;\nUPDATE USERS SET ID = 1;"
        ]
    )
    .is_empty());
    assert_eq!(
        errors(
            Dialect::Sqlite,
            &[
                "CREATE TABLE Users (Id int);",
                "CREATE TABLE users (x int);"
            ]
        )
        .len(),
        1
    );
    // PostgreSQL keeps the case of quoted names.
    assert_eq!(
        pg(&[
            "CREATE TABLE \"Users\" (id int);",
            "ALTER TABLE users ADD COLUMN name text;"
        ])
        .len(),
        1
    );
}

#[test]
fn errors_can_be_allowed_for_a_statement_or_a_directory() {
    use crate::analysis::{analyze_files, Settings};
    let sql = "-- migrate:allow missing -- the job queue creates `jobs`\nALTER TABLE jobs ADD COLUMN tenant int;\nALTER TABLE other ADD COLUMN x int;";
    let found = pg(&[sql]);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].3.contains("`other`"));
    let files = [File::sql(1, "0001_x.sql", sql, true)];
    let mut settings = Settings::default();
    assert!(settings.allow_name("missing"));
    assert!(!settings.allow_name("unknown-rule"));
    assert!(!settings.allow_name("no-such-thing"));
    let findings = analyze_files(&files, Dialect::Postgres, &settings);
    assert!(
        findings.iter().all(|f| f.code() != "missing"),
        "{findings:?}"
    );
    settings.allow_name("missing-lock-timeout");
    let findings = analyze_files(&files, Dialect::Postgres, &settings);
    assert!(findings.is_empty(), "{findings:?}");
}
