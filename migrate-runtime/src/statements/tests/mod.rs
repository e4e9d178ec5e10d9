//! Unit tests of the splitter, by topic; `properties` checks the guarantees on any input.

mod compound;
mod literals;
mod properties;

use super::{split, Dialect, Statement};

const ALL: [Dialect; 3] = [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite];

fn sqls(input: &str, dialect: Dialect) -> Vec<&str> {
    split(input, dialect).into_iter().map(|s| s.sql).collect()
}

// --- Common rules ---------------------------------------------------------------------

#[test]
fn splits_at_semicolons_and_trims() {
    for d in ALL {
        assert_eq!(
            sqls(
                "  CREATE TABLE a (x int);\n\tINSERT INTO a VALUES (1) ;\n",
                d
            ),
            ["CREATE TABLE a (x int)", "INSERT INTO a VALUES (1)"]
        );
    }
}

#[test]
fn last_statement_may_lack_its_semicolon() {
    for d in ALL {
        assert_eq!(sqls("SELECT 1;\nSELECT 2\n\n", d), ["SELECT 1", "SELECT 2"]);
        assert_eq!(sqls("SELECT 1", d), ["SELECT 1"]);
    }
}

#[test]
fn empty_and_comment_only_segments_give_no_statement() {
    for d in ALL {
        assert!(split("", d).is_empty());
        assert!(split(" \n\t ", d).is_empty());
        assert!(split(";;\n;", d).is_empty());
        assert!(split("-- Add migration script here\n", d).is_empty());
        assert!(split("/* nothing; here */ ; -- nor here;", d).is_empty());
        assert_eq!(
            sqls("SELECT 1; -- trailing; comment\n;; /* x */", d),
            ["SELECT 1"]
        );
    }
    assert!(split("# only a comment; here\n", Dialect::MySql).is_empty());
}

#[test]
fn leading_comments_are_skipped_inner_and_trailing_ones_kept() {
    for d in ALL {
        let input = "-- first; comment\n/* block; */ SELECT 1 /* inner; */ + 2 /* tail */ ;";
        assert_eq!(sqls(input, d), ["SELECT 1 /* inner; */ + 2 /* tail */"]);
    }
}

#[test]
fn positions_count_lines_and_chars() {
    let input = "-- é\nSELECT 'ü;';\n  /* ; */ INSERT INTO t VALUES ('€');\r\n\tUPDATE t SET x = 1";
    let statements = split(input, Dialect::Postgres);
    assert_eq!(
        statements,
        [
            Statement {
                sql: "SELECT 'ü;'",
                offset: 6,
                line: 2,
                column: 1
            },
            Statement {
                sql: "INSERT INTO t VALUES ('€')",
                offset: 30,
                line: 3,
                column: 11
            },
            Statement {
                sql: "UPDATE t SET x = 1",
                offset: 62,
                line: 4,
                column: 2
            },
        ]
    );
    for s in &statements {
        assert_eq!(&input[s.offset..s.offset + s.sql.len()], s.sql);
    }
}

#[test]
fn unterminated_literals_and_comments_run_to_the_end() {
    for d in ALL {
        assert_eq!(
            sqls("SELECT 1; SELECT 'abc; SELECT 2;\n", d),
            ["SELECT 1", "SELECT 'abc; SELECT 2;"]
        );
        assert_eq!(
            sqls("SELECT 1; SELECT \"abc; SELECT 2;", d),
            ["SELECT 1", "SELECT \"abc; SELECT 2;"]
        );
        assert_eq!(
            sqls("SELECT 1; SELECT 2 /* abc; SELECT 3;", d),
            ["SELECT 1", "SELECT 2 /* abc; SELECT 3;"]
        );
        // An unterminated comment before any token: nothing but a comment.
        assert_eq!(sqls("SELECT 1; /* abc; SELECT 3;", d), ["SELECT 1"]);
    }
    assert_eq!(
        sqls("SELECT 1; SELECT $$ abc; SELECT 2;", Dialect::Postgres),
        ["SELECT 1", "SELECT $$ abc; SELECT 2;"]
    );
    assert_eq!(
        sqls("SELECT E'abc\\", Dialect::Postgres),
        ["SELECT E'abc\\"]
    );
    assert_eq!(sqls("SELECT `a;", Dialect::MySql), ["SELECT `a;"]);
    assert_eq!(sqls("SELECT [a;", Dialect::Sqlite), ["SELECT [a;"]);
    assert_eq!(
        sqls(
            "CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; SELECT 2;",
            Dialect::Sqlite
        ),
        ["CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; SELECT 2;"]
    );
}

#[test]
fn plain_transaction_statements_are_statements() {
    for d in ALL {
        assert_eq!(
            sqls(
                "BEGIN;\nCREATE TABLE a (x int);\nCOMMIT;\nSTART TRANSACTION; END;",
                d
            ),
            [
                "BEGIN",
                "CREATE TABLE a (x int)",
                "COMMIT",
                "START TRANSACTION",
                "END"
            ]
        );
        assert_eq!(sqls("begin work; rollback", d), ["begin work", "rollback"]);
    }
}
