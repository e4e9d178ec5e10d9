//! Strings, quoted identifiers, comments and dollar quotes.

use super::{sqls, Dialect, ALL};

// --- Single-quoted strings ------------------------------------------------------------

#[test]
fn single_quotes_with_doubled_quotes() {
    for d in ALL {
        assert_eq!(
            sqls("INSERT INTO t VALUES ('it''s; fine', ''); SELECT ''';'", d),
            ["INSERT INTO t VALUES ('it''s; fine', '')", "SELECT ''';'"]
        );
    }
}

#[test]
fn postgres_standard_strings_keep_backslashes() {
    // `'\'` is a complete one-character string in PostgreSQL and SQLite.
    for d in [Dialect::Postgres, Dialect::Sqlite] {
        assert_eq!(
            sqls(r"SELECT '\'; SELECT '\x00'::bytea; SELECT 2", d),
            [r"SELECT '\'", r"SELECT '\x00'::bytea", "SELECT 2"]
        );
    }
}

#[test]
fn postgres_escape_strings_use_backslashes() {
    let input = r"INSERT INTO t VALUES (E'\\x0101;', e'it\'s; ok', E'\\', E'a''b;');SELECT 2";
    assert_eq!(
        sqls(input, Dialect::Postgres),
        [
            r"INSERT INTO t VALUES (E'\\x0101;', e'it\'s; ok', E'\\', E'a''b;')",
            "SELECT 2"
        ]
    );
    // Only a lone `E` makes an escape string: `xe'\'` is the identifier `xe` and `'\'`.
    assert_eq!(
        sqls(r"SELECT xe'\'; SELECT 2", Dialect::Postgres),
        [r"SELECT xe'\'", "SELECT 2"]
    );
}

#[test]
fn mysql_strings_use_backslash_escapes_in_both_quotes() {
    let input =
        r#"INSERT INTO t VALUES ('a\';b', "c\";d", 'e\\', "f\\", 'g''h;', "i""j;");SELECT 2"#;
    assert_eq!(
        sqls(input, Dialect::MySql),
        [
            r#"INSERT INTO t VALUES ('a\';b', "c\";d", 'e\\', "f\\", 'g''h;', "i""j;")"#,
            "SELECT 2"
        ]
    );
}

// --- Quoted identifiers ---------------------------------------------------------------

#[test]
fn double_quoted_identifiers() {
    for d in [Dialect::Postgres, Dialect::Sqlite] {
        assert_eq!(
            sqls(r#"CREATE TABLE "a;b" ("c""; d" int, "e\" int);SELECT 2"#, d),
            [r#"CREATE TABLE "a;b" ("c""; d" int, "e\" int)"#, "SELECT 2"]
        );
    }
}

#[test]
fn backtick_identifiers() {
    for d in [Dialect::MySql, Dialect::Sqlite] {
        assert_eq!(
            sqls("CREATE TABLE `a;b` (`c``;d` int, `e\\` int);SELECT 2", d),
            ["CREATE TABLE `a;b` (`c``;d` int, `e\\` int)", "SELECT 2"]
        );
    }
}

#[test]
fn sqlite_bracket_identifiers() {
    assert_eq!(
        sqls("CREATE TABLE [a;b] ([c'd;] int);SELECT 2", Dialect::Sqlite),
        ["CREATE TABLE [a;b] ([c'd;] int)", "SELECT 2"]
    );
}

// --- Comments -------------------------------------------------------------------------

#[test]
fn line_comments() {
    for d in ALL {
        assert_eq!(
            sqls("SELECT 1 -- not the end; really\n + 1; SELECT 2", d),
            ["SELECT 1 -- not the end; really\n + 1", "SELECT 2"]
        );
    }
    // PostgreSQL ends `--` comments at a carriage return too.
    assert_eq!(
        sqls("SELECT 1 --x\r; SELECT 2", Dialect::Postgres),
        ["SELECT 1 --x", "SELECT 2"]
    );
}

#[test]
fn mysql_double_dash_needs_whitespace_or_control_char() {
    assert_eq!(
        sqls(
            "SELECT 1--1; SELECT 2 --\tc;\n; SELECT 3 --",
            Dialect::MySql
        ),
        ["SELECT 1--1", "SELECT 2 --\tc;", "SELECT 3 --"]
    );
    // Elsewhere `--` is always a comment.
    assert_eq!(
        sqls("SELECT 1--1; SELECT 2", Dialect::Postgres),
        ["SELECT 1--1; SELECT 2"]
    );
}

#[test]
fn mysql_hash_comments() {
    assert_eq!(
        sqls(
            "# head; comment\nSELECT 1 # tail; comment\n; SELECT 2",
            Dialect::MySql
        ),
        ["SELECT 1 # tail; comment", "SELECT 2"]
    );
    // Not a comment in PostgreSQL (an operator there).
    assert_eq!(sqls("SELECT 1 # 2; SELECT 3", Dialect::Postgres).len(), 2);
}

#[test]
fn block_comments_nest_only_in_postgres() {
    let input = "SELECT 1 /* a /* b */ c; */; SELECT 2";
    assert_eq!(
        sqls(input, Dialect::Postgres),
        ["SELECT 1 /* a /* b */ c; */", "SELECT 2"]
    );
    for d in [Dialect::MySql, Dialect::Sqlite] {
        assert_eq!(
            sqls(input, d),
            ["SELECT 1 /* a /* b */ c", "*/", "SELECT 2"]
        );
    }
}

#[test]
fn mysql_executable_comments_are_statements() {
    let input = "/*!40101 SET NAMES utf8 */;\n/*!40014 SET FOREIGN_KEY_CHECKS=0 */;\n/* plain */;";
    assert_eq!(
        sqls(input, Dialect::MySql),
        [
            "/*!40101 SET NAMES utf8 */",
            "/*!40014 SET FOREIGN_KEY_CHECKS=0 */"
        ]
    );
}

// --- PostgreSQL dollar quoting, parentheses, BEGIN ATOMIC ------------------------------

#[test]
fn postgres_dollar_quotes() {
    let input = "CREATE FUNCTION f() RETURNS trigger AS $$ BEGIN x := 'a;'; RETURN NEW; END; $$ LANGUAGE plpgsql;\n\
                 CREATE FUNCTION g() RETURNS int AS $func$ SELECT $x$;$x$; SELECT 1; $func$ LANGUAGE sql;\n\
                 CREATE FUNCTION h() RETURNS text AS $BODY$ SELECT 1; SELECT '$body$;' $BODY$ LANGUAGE sql;\n\
                 DO $$ BEGIN PERFORM 1; END $$";
    let got = sqls(input, Dialect::Postgres);
    assert_eq!(got.len(), 4, "{got:#?}");
    assert!(got[0].ends_with("$$ LANGUAGE plpgsql"));
    assert!(got[1].starts_with("CREATE FUNCTION g()") && got[1].ends_with("LANGUAGE sql"));
    assert!(got[2].starts_with("CREATE FUNCTION h()") && got[2].ends_with("LANGUAGE sql"));
    assert_eq!(got[3], "DO $$ BEGIN PERFORM 1; END $$");
}

#[test]
fn postgres_parameters_and_identifiers_with_dollars_are_not_dollar_quotes() {
    assert_eq!(
        sqls(
            "PREPARE p AS SELECT $1, $2;EXECUTE p(1, 2); SELECT a$b$c FROM t; SELECT 2",
            Dialect::Postgres
        ),
        [
            "PREPARE p AS SELECT $1, $2",
            "EXECUTE p(1, 2)",
            "SELECT a$b$c FROM t",
            "SELECT 2"
        ]
    );
    // Dollar signs mean nothing in the other dialects.
    assert_eq!(
        sqls("SELECT '$$'; SELECT $$; SELECT 2", Dialect::MySql).len(),
        3
    );
}
