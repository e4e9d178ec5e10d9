//! Lints made precise by the model: the table's age, the column's old type, opt-outs.

use crate::analysis::{analyze_files, Dialect, File, Settings};

/// The lint codes of up files `sqls`, as `(code, line)`.
fn lints(sqls: &[&str]) -> Vec<(&'static str, usize)> {
    let names = super::names(sqls.len());
    analyze_files(
        &super::up_files(&names, sqls),
        Dialect::Postgres,
        &Settings::default(),
    )
    .into_iter()
    .map(|f| (f.code(), f.line))
    .collect()
}

#[test]
fn a_table_created_by_the_same_migration_is_harmless() {
    let same = lints(&["CREATE TABLE t (a int);\nCREATE INDEX t_a ON t (a);\nALTER TABLE t ALTER COLUMN a SET NOT NULL;"]);
    assert!(same.is_empty(), "{same:?}");
    let later = lints(&["CREATE TABLE t (a int);", "CREATE INDEX t_a ON t (a);"]);
    assert_eq!(
        later,
        [
            ("index-without-concurrently", 1),
            ("missing-lock-timeout", 1)
        ]
    );
}

#[test]
fn a_type_change_that_keeps_the_bytes_is_no_rewrite() {
    let widened = lints(&[
        "CREATE TABLE t (a varchar(10), b numeric(10, 2), c timestamp);",
        "SET lock_timeout = '1s';\nALTER TABLE t ALTER COLUMN a TYPE text;\nALTER TABLE t ALTER COLUMN b TYPE numeric(12, 2);\nALTER TABLE t ALTER COLUMN c TYPE timestamptz;\nALTER TABLE t ALTER COLUMN a TYPE varchar(5);",
    ]);
    // timestamp → timestamptz rewrites unless the session's time zone is UTC; text →
    // varchar(5) must check every row.
    assert_eq!(
        widened,
        [("column-type-change", 4), ("column-type-change", 5)]
    );
}

#[test]
fn down_scripts_are_not_linted() {
    let files = [
        File::sql(1, "0001_t.up.sql", "CREATE TABLE t (a int);", true),
        File::sql(2, "0002_u.up.sql", "ALTER TABLE t ADD COLUMN b int;", true),
        File::down(2, "0002_u.down.sql", "ALTER TABLE t DROP COLUMN b;", true),
    ];
    let found = analyze_files(&files, Dialect::Postgres, &Settings::default());
    assert!(
        found.iter().all(|f| f.file != "0002_u.down.sql"),
        "{found:?}"
    );
}

#[test]
fn opt_outs_per_statement_and_per_directory() {
    let sql = ["CREATE TABLE t (a int, b int);", "SET lock_timeout = '1s';\n-- migrate:allow drop-column -- nothing reads `b` since release 41\nALTER TABLE t DROP COLUMN b;\nALTER TABLE t DROP COLUMN a;"];
    assert_eq!(lints(&sql), [("drop-column", 4)]);
    let files = [
        File::sql(1, "0001_t.sql", sql[0], true),
        File::sql(2, "0002_u.sql", sql[1], true),
    ];
    let settings = Settings::allowing([crate::analysis::Rule::DropColumn]);
    assert!(analyze_files(&files, Dialect::Postgres, &settings).is_empty());
}

#[test]
fn a_password_never_appears_in_a_finding() {
    let files = [File::sql(
        1,
        "0001_role.sql",
        "CREATE ROLE reporting LOGIN PASSWORD 'hunter2';\nCREATE USER app WITH ENCRYPTED PASSWORD 's3cret';",
        true,
    )];
    let mut found = analyze_files(&files, Dialect::Postgres, &Settings::default());
    let mysql = [File::sql(
        1,
        "0001_user.sql",
        "CREATE USER 'app'@'%' IDENTIFIED BY \"s3cret\";",
        true,
    )];
    found.extend(analyze_files(&mysql, Dialect::MySql, &Settings::default()));
    assert_eq!(found.len(), 3, "{found:?}");
    for finding in &found {
        let shown = format!("{finding} {finding:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("s3cret"),
            "{shown}"
        );
        assert_eq!(finding.code(), "password-literal");
    }
    assert!(
        found[0].statement.contains("PASSWORD '…'"),
        "{}",
        found[0].statement
    );
}

#[test]
fn dropping_what_is_certainly_gone_is_no_risk() {
    let found = lints(&[
        "CREATE TABLE t (a int);\nCREATE INDEX idx_a ON t (a);",
        "DROP INDEX idx_a;",
        "SET lock_timeout = '1s';\nDROP INDEX IF EXISTS idx_a;\nDROP TABLE IF EXISTS old_tool_history;",
    ]);
    assert_eq!(
        found,
        [
            ("drop-index-without-concurrently", 1),
            ("missing-lock-timeout", 1)
        ]
    );
}

#[test]
fn lints_from_a_version_leave_earlier_migrations_alone() {
    let names = super::names(3);
    let sqls = [
        "CREATE TABLE t (a int, b int);",
        "UPDATE t SET a = 1;\nALTER TABLE t DROP COLUMN nope;",
        "UPDATE t SET b = 1;",
    ];
    let files = super::up_files(&names, &sqls);
    let settings = Settings {
        lints_from: Some(3),
        ..Settings::default()
    };
    let findings = analyze_files(&files, Dialect::Postgres, &settings);
    let found: Vec<(&str, &str)> = findings
        .iter()
        .map(|f| (f.file.as_str(), f.code()))
        .collect();
    // The error in 0002 still counts; only its lint is gone.
    assert_eq!(
        found,
        [
            ("0002_m.sql", "missing"),
            ("0003_m.sql", "update-without-where")
        ]
    );
}
