//! Property tests: the guarantees of `split` on any input, and that it never splits inside
//! a literal or comment.

use crate::statements::{split, Dialect};
use proptest::prelude::*;
use proptest::test_runner::RngAlgorithm;

/// `cases` cases, with the XorShift generator: ChaCha (the default) dominates the run
/// time of these tests in unoptimized builds.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        rng_algorithm: RngAlgorithm::XorShift,
        ..ProptestConfig::default()
    }
}

fn dialect() -> impl Strategy<Value = Dialect> {
    prop_oneof![
        Just(Dialect::Postgres),
        Just(Dialect::MySql),
        Just(Dialect::Sqlite)
    ]
}

/// Text rich in the characters that matter to the lexer.
fn sqlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just(";".to_owned()),
        Just("'".to_owned()),
        Just("\"".to_owned()),
        Just("`".to_owned()),
        Just("[".to_owned()),
        Just("]".to_owned()),
        Just("\\".to_owned()),
        Just("$".to_owned()),
        Just("$$".to_owned()),
        Just("$a$".to_owned()),
        Just("$1".to_owned()),
        Just("--".to_owned()),
        Just("-- ".to_owned()),
        Just("#".to_owned()),
        Just("/*".to_owned()),
        Just("*/".to_owned()),
        Just("/*!".to_owned()),
        Just("(".to_owned()),
        Just(")".to_owned()),
        Just(":".to_owned()),
        Just("\n".to_owned()),
        Just("\r".to_owned()),
        Just(" ".to_owned()),
        Just("E'".to_owned()),
        Just("é".to_owned()),
        Just("\u{3000}".to_owned()),
        Just("💥".to_owned()),
        Just("DELIMITER //\n".to_owned()),
        Just("DELIMITER ;\n".to_owned()),
        Just("//".to_owned()),
        prop_oneof![
            Just("CREATE"),
            Just("TRIGGER"),
            Just("PROCEDURE"),
            Just("FUNCTION"),
            Just("EVENT"),
            Just("BEGIN"),
            Just("ATOMIC"),
            Just("NOT"),
            Just("END"),
            Just("IF"),
            Just("CASE"),
            Just("LOOP"),
            Just("WHILE"),
            Just("REPEAT"),
            Just("THEN"),
            Just("ELSE"),
            Just("DO"),
            Just("FOR EACH ROW"),
        ]
        .prop_map(|s| format!(" {s} ")),
        "[a-z0-9]{1,3}",
    ];
    prop::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

fn line_column(input: &str, offset: usize) -> (usize, usize) {
    let before = &input[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// The structural guarantees, for any input.
fn check_invariants(input: &str, dialect: Dialect) -> Result<(), TestCaseError> {
    let statements = split(input, dialect);
    let mut previous_end = 0;
    for s in &statements {
        prop_assert!(
            s.offset >= previous_end,
            "overlap or disorder: {statements:?}"
        );
        prop_assert!(!s.sql.is_empty());
        prop_assert_eq!(input.get(s.offset..s.offset + s.sql.len()), Some(s.sql));
        prop_assert_eq!(s.sql, s.sql.trim());
        prop_assert_eq!((s.line, s.column), line_column(input, s.offset));
        previous_end = s.offset + s.sql.len();
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn never_panics_and_slices_are_consistent_on_any_string(input in any::<String>(), dialect in dialect()) {
        check_invariants(&input, dialect)?;
    }

    #[test]
    fn never_panics_and_slices_are_consistent_on_sqlish_text(input in sqlish(), dialect in dialect()) {
        check_invariants(&input, dialect)?;
    }
}

// --- Never splits inside a literal --------------------------------------------------

/// Content for literals and comments: full of quotes, delimiters and escapes.
fn content() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just(";"),
        Just(";\n"),
        Just("'"),
        Just("''"),
        Just("\""),
        Just("`"),
        Just("\\"),
        Just("\\'"),
        Just("$"),
        Just("$$"),
        Just("--"),
        Just("#"),
        Just("/*"),
        Just("*/"),
        Just("*"),
        Just("/"),
        Just("]"),
        Just("\n"),
        Just(" "),
        Just("END;"),
        Just(" BEGIN "),
        Just("é€"),
        Just("💥"),
        Just("x"),
    ];
    prop::collection::vec(piece, 0..10).prop_map(|v| v.concat())
}

/// Removes `needle` until none is left.
fn remove_all(mut s: String, needle: &str) -> String {
    while s.contains(needle) {
        s = s.replace(needle, "");
    }
    s
}

/// A line comment (with its newline), a block comment, in `dialect`'s syntax.
fn comment(dialect: Dialect, c: String, kind: u8) -> String {
    let line = c.replace('\n', " ");
    match (dialect, kind % 4) {
        (Dialect::MySql, 0) => format!("-- {line}\n"),
        (Dialect::MySql, 1) => format!("#{line}\n"),
        (_, 0 | 1) => format!("--{line}\n"),
        (Dialect::Postgres, 2) => {
            // Nested, with arbitrary content around the inner comment.
            let c = remove_all(remove_all(c, "*/"), "/*");
            format!("/* {c} /* {c} */ {c} */")
        }
        _ => {
            let c = remove_all(c, "*/");
            let c = if dialect == Dialect::Postgres {
                remove_all(c, "/*")
            } else {
                c
            };
            format!("/* {c} */")
        }
    }
}

/// One fragment whose quoting hides everything in `c`.
fn literal(dialect: Dialect, c: String, kind: u8) -> String {
    let single = |c: &str| format!("'{}'", c.replace('\'', "''"));
    match dialect {
        Dialect::Postgres => match kind % 6 {
            0 => single(&c),
            1 => format!("E'{}'", c.replace('\\', "\\\\").replace('\'', "\\'")),
            2 => format!("\"{}\"", c.replace('"', "\"\"")),
            3 | 4 => {
                let tag = ["", "func", "BODY", "x_1"][usize::from(kind / 6 % 4)];
                let close = format!("${tag}$");
                let mut body = remove_all(c, &close);
                if !format!("{body}{close}").ends_with(&close)
                    || format!("{body}{close}").find(&close) != Some(body.len())
                {
                    body = body.replace('$', "S");
                }
                format!("{close}{body}{close}")
            }
            _ => comment(dialect, c, kind / 6),
        },
        Dialect::MySql => match kind % 6 {
            0 => format!("'{}'", c.replace('\\', "\\\\").replace('\'', "\\'")),
            1 => format!("'{}'", c.replace('\\', "\\\\").replace('\'', "''")),
            2 => format!("\"{}\"", c.replace('\\', "\\\\").replace('"', "\\\"")),
            3 => format!("`{}`", c.replace('`', "``")),
            _ => comment(dialect, c, kind / 6),
        },
        Dialect::Sqlite => match kind % 6 {
            0 => single(&c),
            1 => format!("\"{}\"", c.replace('"', "\"\"")),
            2 => format!("`{}`", c.replace('`', "``")),
            3 => format!("[{}]", c.replace(']', "")),
            _ => comment(dialect, c, kind / 6),
        },
    }
}

fn word() -> impl Strategy<Value = &'static str> {
    prop_oneof![
        Just("x"),
        Just("t1"),
        Just("42"),
        Just("="),
        Just(","),
        Just("(a, b)"),
        Just("s.col"),
        Just("||"),
        Just("NULL"),
    ]
}

/// A statement before it is rendered in a dialect: its first keyword, then (literal
/// content, literal kind, word) triples.
type Recipe = (&'static str, Vec<(String, u8, &'static str)>);

/// One statement: a keyword, then literals and words, rendered by `render`.
fn statement() -> impl Strategy<Value = Recipe> {
    (
        prop_oneof![
            Just("SELECT"),
            Just("INSERT INTO t VALUES"),
            Just("UPDATE t SET")
        ],
        prop::collection::vec((content(), any::<u8>(), word()), 0..6),
    )
}

fn render(dialect: Dialect, (head, parts): &Recipe) -> String {
    let mut s = (*head).to_owned();
    for (c, kind, word) in parts {
        s.push(' ');
        s.push_str(&literal(dialect, c.clone(), *kind));
        s.push(' ');
        s.push_str(word);
    }
    s
}

/// Whitespace and comments between statements (after the `;`), possibly with empty
/// statements.
fn junk(dialect: Dialect, choice: u8, c: &str) -> String {
    match choice % 5 {
        0 => String::new(),
        1 => " \n\t".to_owned(),
        2 => comment(dialect, c.to_owned(), 0),
        3 => format!("{} ;\n", comment(dialect, c.to_owned(), 3)),
        _ => ";;\n".to_owned(),
    }
}

fn never_splits_inside_a_literal(
    dialect: Dialect,
    statements: &[Recipe],
    junk_choices: &[(u8, String)],
    trailing_semicolon: bool,
) -> Result<(), TestCaseError> {
    let texts: Vec<String> = statements.iter().map(|s| render(dialect, s)).collect();
    let mut input = String::new();
    let mut j = junk_choices.iter().cycle();
    let (choice, c) = j.next().cloned().unwrap_or_default();
    input.push_str(&junk(dialect, choice, &c));
    for (i, text) in texts.iter().enumerate() {
        if i > 0 {
            input.push_str(";\n");
            let (choice, c) = j.next().cloned().unwrap_or_default();
            input.push_str(&junk(dialect, choice, &c));
        }
        input.push_str(text);
    }
    if trailing_semicolon {
        input.push(';');
        let (choice, c) = j.next().cloned().unwrap_or_default();
        input.push_str(&junk(dialect, choice, &c));
    }
    let got = split(&input, dialect);
    let got_sql: Vec<&str> = got.iter().map(|s| s.sql).collect();
    let expected: Vec<&str> = texts.iter().map(|t| t.trim_end()).collect();
    prop_assert_eq!(got_sql, expected, "input: {:?}", input);
    check_invariants(&input, dialect)
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn postgres_never_splits_inside_a_literal(
        statements in prop::collection::vec(statement(), 1..6),
        junk in prop::collection::vec((any::<u8>(), content()), 1..4),
        trailing in any::<bool>(),
    ) {
        never_splits_inside_a_literal(Dialect::Postgres, &statements, &junk, trailing)?;
    }

    #[test]
    fn mysql_never_splits_inside_a_literal(
        statements in prop::collection::vec(statement(), 1..6),
        junk in prop::collection::vec((any::<u8>(), content()), 1..4),
        trailing in any::<bool>(),
    ) {
        never_splits_inside_a_literal(Dialect::MySql, &statements, &junk, trailing)?;
    }

    #[test]
    fn sqlite_never_splits_inside_a_literal(
        statements in prop::collection::vec(statement(), 1..6),
        junk in prop::collection::vec((any::<u8>(), content()), 1..4),
        trailing in any::<bool>(),
    ) {
        never_splits_inside_a_literal(Dialect::Sqlite, &statements, &junk, trailing)?;
    }
}
