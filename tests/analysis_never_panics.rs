//! The analysis never panics, and every finding it reports lies inside its file, in every
//! dialect: on random SQL-ish text, on statements built from templates (so that the schema
//! model and the lints have something to find), and on real SQL mutated (characters deleted
//! and inserted, statements swapped and repeated, files cut short): this repository's
//! `migrations/` and test fixtures always, the corpus beside it (`../shared/corpus`) when it
//! is there.
//!
//! Each property runs 48 cases by default (CI has 2 cores); set `PROPTEST_CASES` for more.

use std::sync::OnceLock;

use migrate::lint::{analyze_files, Dialect, File, Finding, Rule, Settings};
use migrate_tests::corpus::{self, Layout, MigrationFile, Role};
use proptest::prelude::*;
use proptest::test_runner::RngAlgorithm;

const DIALECTS: [Dialect; 3] = [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite];

/// 48 cases unless `PROPTEST_CASES` says otherwise; the XorShift generator (ChaCha
/// dominates the run time in unoptimized builds).
fn config() -> ProptestConfig {
    let mut config = ProptestConfig {
        rng_algorithm: RngAlgorithm::XorShift,
        ..ProptestConfig::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = 48;
    }
    config
}

/// One file of a case.
#[derive(Clone, Debug)]
struct CaseFile {
    version: i64,
    name: String,
    sql: String,
    transaction: bool,
    down: bool,
}

impl CaseFile {
    fn analysis_file(&self) -> File<'_> {
        if self.down {
            File::down(self.version, &self.name, &self.sql, self.transaction)
        } else {
            File::sql(self.version, &self.name, &self.sql, self.transaction)
        }
    }
}

/// Runs the analysis on `files` in every dialect; fails when a finding does not lie inside
/// its file. A panic fails the case too (proptest catches it and shrinks the input).
fn check(files: &[CaseFile], settings: &Settings) -> Result<(), TestCaseError> {
    let analysis: Vec<File> = files.iter().map(CaseFile::analysis_file).collect();
    for dialect in DIALECTS {
        for finding in analyze_files(&analysis, dialect, settings) {
            if let Err(problem) = inside(files, &finding) {
                return Err(TestCaseError::fail(format!(
                    "{dialect:?}: {problem}\n{finding}"
                )));
            }
        }
    }
    Ok(())
}

/// Whether `finding` names one of `files`, and a line and a column of a character in it.
fn inside(files: &[CaseFile], finding: &Finding) -> Result<(), String> {
    let file = files
        .iter()
        .find(|file| file.name == finding.file)
        .ok_or_else(|| format!("the finding names no file of the case: {:?}", finding.file))?;
    // Lines are counted at `\n`, columns in characters, both from 1.
    let line = finding
        .line
        .checked_sub(1)
        .and_then(|index| file.sql.split('\n').nth(index))
        .ok_or_else(|| format!("line {} is not in {}", finding.line, file.name))?;
    if !(1..=line.chars().count()).contains(&finding.column) {
        return Err(format!(
            "column {} is not in line {} of {} ({line:?})",
            finding.column, finding.line, file.name
        ));
    }
    Ok(())
}

/// Up files from `sqls`, numbered from 1, each with a down file when one is given.
fn case_files(files: Vec<(String, bool, Option<String>)>) -> Vec<CaseFile> {
    let mut out = Vec::new();
    for (number, (sql, transaction, down)) in files.into_iter().enumerate() {
        let version = number as i64 + 1;
        out.push(CaseFile {
            version,
            name: format!("{version:04}_case.sql"),
            sql,
            transaction,
            down: false,
        });
        if let Some(down) = down {
            out.push(CaseFile {
                version,
                name: format!("{version:04}_case.down.sql"),
                sql: down,
                transaction,
                down: true,
            });
        }
    }
    out
}

/// Tokens that matter to the splitter, the parser and the model.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "CREATE",
            "TABLE",
            "INDEX",
            "UNIQUE",
            "CONCURRENTLY",
            "IF",
            "NOT",
            "EXISTS",
            "ALTER",
            "ADD",
            "COLUMN",
            "DROP",
            "RENAME",
            "TO",
            "TYPE",
            "SET",
            "NULL",
            "DEFAULT",
            "PRIMARY",
            "KEY",
            "FOREIGN",
            "REFERENCES",
            "CHECK",
            "CONSTRAINT",
            "VALID",
            "USING",
            "ON",
            "UPDATE",
            "DELETE",
            "FROM",
            "WHERE",
            "INSERT",
            "INTO",
            "VALUES",
            "SELECT",
            "BEGIN",
            "COMMIT",
            "ROLLBACK",
            "FUNCTION",
            "RETURNS",
            "AS",
            "LANGUAGE",
            "plpgsql",
            "DO",
            "TRIGGER",
            "EXECUTE",
            "SECURITY",
            "DEFINER",
            "VIEW",
            "SCHEMA",
            "EXTENSION",
            "ENUM",
            "MODIFY",
            "AFTER",
            "END",
            "DELIMITER",
            "PASSWORD",
            "ROLE",
            "USER",
            "now()",
            "lock_timeout",
            "INT",
            "TEXT",
            "BIGINT",
            "VARCHAR(10)",
            "t",
            "u",
            "users",
            "id",
            "a",
            "b",
            "public.t",
            "s.u",
            "\"T\"",
            "\"a b\"",
            "`t`",
            "[t]",
            "'x'",
            "'it''s'",
            "E'\\x'",
            "''",
            "'",
            "\"",
            "`",
            "$$",
            "$f$",
            "$1",
            "(",
            ")",
            ",",
            ".",
            ";",
            ";;",
            "=",
            "*",
            "1",
            "-1",
            "1e9",
            "-- c\n",
            "--",
            "-- migrate:allow drop-column\n",
            "-- migrate:allow nothing\n",
            "-- migrate:no-transaction\n",
            "/*",
            "*/",
            "/* c */",
            "#",
            "\n",
            "\r\n",
            "\t",
            " ",
            "é",
            "💥",
            "\u{feff}",
            "\0",
        ])
        .prop_map(str::to_owned),
        "[a-z_]{1,8}",
    ]
}

/// Random text made of [`token`]s.
fn sqlish() -> impl Strategy<Value = String> {
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
fn statements() -> impl Strategy<Value = String> {
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
fn files_of<S: Strategy<Value = String>>(
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
fn settings() -> impl Strategy<Value = Settings> {
    prop::sample::subsequence(Rule::ALL.to_vec(), 0..3).prop_map(Settings::allowing)
}

/// The real directories: this repository's, and the corpus's when it is there (skipped with
/// a printed reason otherwise, failing when `CI` is set).
fn real_directories() -> &'static [Vec<MigrationFile>] {
    static DIRECTORIES: OnceLock<Vec<Vec<MigrationFile>>> = OnceLock::new();
    DIRECTORIES.get_or_init(|| {
        let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut directories = Vec::new();
        let mut ours = vec![manifest.join("../migrations")];
        let fixtures = std::fs::read_dir(manifest.join("fixtures"))
            .unwrap_or_else(|e| panic!("tests/fixtures: {e}"));
        ours.extend(fixtures.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
        ours.sort();
        for dir in ours {
            let files = corpus::read_migrations(&dir, Layout::Sqlx)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            directories.push(files);
        }
        match corpus::root() {
            Some(root) => {
                let corpus = corpus::directories(&root).unwrap_or_else(|e| panic!("{e}"));
                directories.extend(corpus.into_iter().map(|d| d.files));
            }
            None if std::env::var_os("CI").is_some_and(|ci| !ci.is_empty()) => {
                panic!("../shared/corpus not found beside the repository (CI is set: there it must be)")
            }
            None => eprintln!(
                "skipped: ../shared/corpus not found beside the repository; the mutations use only this repository's SQL"
            ),
        }
        for files in &mut directories {
            files.retain(|file| file.role != Role::Rust);
        }
        directories.retain(|files| !files.is_empty());
        directories
    })
}

/// A position in a sequence of any length: the fraction `0 / 2^32` to `(2^32 - 1) / 2^32` of
/// it (shrinks towards the first element).
#[derive(Clone, Copy, Debug)]
struct Pick(u32);

impl Pick {
    fn index(self, len: usize) -> usize {
        ((u64::from(self.0) * len as u64) >> 32) as usize
    }

    fn get<T>(self, slice: &[T]) -> &T {
        &slice[self.index(slice.len())]
    }
}

fn pick() -> impl Strategy<Value = Pick> {
    any::<u32>().prop_map(Pick)
}

/// One change to a file of a window of real migrations.
#[derive(Clone, Debug)]
enum Mutation {
    /// Delete up to `len` characters at `at`.
    Delete { file: Pick, at: Pick, len: usize },
    /// Insert `text` at `at`.
    Insert { file: Pick, at: Pick, text: String },
    /// Swap two statements.
    Swap { file: Pick, a: Pick, b: Pick },
    /// Repeat a statement after itself.
    Repeat { file: Pick, a: Pick },
    /// Cut the file at `at`.
    Truncate { file: Pick, at: Pick },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (pick(), pick(), 1..40usize).prop_map(|(file, at, len)| Mutation::Delete { file, at, len }),
        (pick(), pick(), token()).prop_map(|(file, at, text)| Mutation::Insert { file, at, text }),
        (pick(), pick(), pick()).prop_map(|(file, a, b)| Mutation::Swap { file, a, b }),
        (pick(), pick()).prop_map(|(file, a)| Mutation::Repeat { file, a }),
        (pick(), pick()).prop_map(|(file, at)| Mutation::Truncate { file, at }),
    ]
}

/// The char boundary of `text` that `at` picks.
fn boundary(text: &str, at: Pick) -> usize {
    let boundaries: Vec<usize> = text
        .char_indices()
        .map(|(offset, _)| offset)
        .chain([text.len()])
        .collect();
    boundaries[at.index(boundaries.len())]
}

/// The byte ranges of the statements of `sql`.
fn statement_ranges(sql: &str) -> Vec<std::ops::Range<usize>> {
    migrate_runtime::statements::split(sql, Dialect::Postgres)
        .iter()
        .map(|s| s.offset..s.offset + s.sql.len())
        .collect()
}

impl Mutation {
    fn apply(&self, files: &mut [CaseFile]) {
        let file = match *self {
            Mutation::Delete { file, .. }
            | Mutation::Insert { file, .. }
            | Mutation::Swap { file, .. }
            | Mutation::Repeat { file, .. }
            | Mutation::Truncate { file, .. } => file.index(files.len()),
        };
        let sql = &mut files[file].sql;
        match self {
            Mutation::Delete { at, len, .. } => {
                let start = boundary(sql, *at);
                let end = sql[start..]
                    .char_indices()
                    .nth(*len)
                    .map_or(sql.len(), |(offset, _)| start + offset);
                sql.replace_range(start..end, "");
            }
            Mutation::Insert { at, text, .. } => {
                let at = boundary(sql, *at);
                sql.insert_str(at, text);
            }
            Mutation::Swap { a, b, .. } => {
                let ranges = statement_ranges(sql);
                if ranges.len() < 2 {
                    return;
                }
                let (mut a, mut b) = (a.get(&ranges).clone(), b.get(&ranges).clone());
                if a.start > b.start {
                    std::mem::swap(&mut a, &mut b);
                }
                if a == b {
                    return;
                }
                let swapped = format!(
                    "{}{}{}{}{}",
                    &sql[..a.start],
                    &sql[b.clone()],
                    &sql[a.end..b.start],
                    &sql[a.clone()],
                    &sql[b.end..]
                );
                *sql = swapped;
            }
            Mutation::Repeat { a, .. } => {
                let ranges = statement_ranges(sql);
                if ranges.is_empty() {
                    return;
                }
                let a = a.get(&ranges).clone();
                let repeated = format!(";\n{}", &sql[a.clone()]);
                sql.insert_str(a.end, &repeated);
            }
            Mutation::Truncate { at, .. } => {
                let at = boundary(sql, *at);
                sql.truncate(at);
            }
        }
    }
}

/// A window of up to six consecutive files of a real directory, mutated.
fn mutated_real_sql() -> impl Strategy<Value = Vec<CaseFile>> {
    (
        pick(),
        pick(),
        1..7usize,
        prop::collection::vec(mutation(), 1..6),
    )
        .prop_map(|(directory, start, len, mutations)| {
            let directories = real_directories();
            let files = directory.get(directories);
            let start = start.index(files.len());
            let mut window: Vec<CaseFile> = files[start..files.len().min(start + len)]
                .iter()
                .map(|file| CaseFile {
                    version: file.version,
                    name: file.name.clone(),
                    sql: file.sql.clone(),
                    transaction: file.transaction,
                    down: file.role == Role::Down,
                })
                .collect();
            for mutation in &mutations {
                mutation.apply(&mut window);
            }
            window
        })
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn never_panics_on_sqlish_text(files in files_of(sqlish), settings in settings()) {
        check(&files, &settings)?;
    }

    #[test]
    fn never_panics_on_statements_from_templates(files in files_of(statements), settings in settings()) {
        check(&files, &settings)?;
    }

    #[test]
    fn never_panics_on_mutated_real_sql(files in mutated_real_sql()) {
        check(&files, &Settings::default())?;
    }
}

/// Unmutated, every real directory is analyzed whole, and its findings lie inside its files.
#[test]
fn real_directories_whole() {
    for files in real_directories() {
        let files: Vec<CaseFile> = files
            .iter()
            .map(|file| CaseFile {
                version: file.version,
                name: file.name.clone(),
                sql: file.sql.clone(),
                transaction: file.transaction,
                down: file.role == Role::Down,
            })
            .collect();
        if let Err(error) = check(&files, &Settings::default()) {
            panic!("{error}");
        }
    }
}

#[test]
fn mutations_keep_the_text_valid_and_change_it() {
    let mut files = case_files(vec![(
        "CREATE TABLE t (a INT);\nDROP TABLE t;".to_owned(),
        true,
        None,
    )]);
    let (first, last, middle) = (Pick(0), Pick(u32::MAX), Pick(1 << 31));
    Mutation::Swap {
        file: first,
        a: first,
        b: last,
    }
    .apply(&mut files);
    assert_eq!(files[0].sql, "DROP TABLE t;\nCREATE TABLE t (a INT);");
    Mutation::Repeat {
        file: first,
        a: first,
    }
    .apply(&mut files);
    assert_eq!(
        files[0].sql,
        "DROP TABLE t;\nDROP TABLE t;\nCREATE TABLE t (a INT);"
    );
    Mutation::Delete {
        file: first,
        at: first,
        len: 5,
    }
    .apply(&mut files);
    assert_eq!(
        files[0].sql,
        "TABLE t;\nDROP TABLE t;\nCREATE TABLE t (a INT);"
    );
    Mutation::Insert {
        file: last,
        at: last,
        text: "é".to_owned(),
    }
    .apply(&mut files);
    assert!(files[0].sql.ends_with("INT);é"), "{}", files[0].sql);
    let before = files[0].sql.chars().count();
    Mutation::Truncate {
        file: first,
        at: middle,
    }
    .apply(&mut files);
    assert_eq!(
        files[0].sql.chars().count(),
        (before + 1) / 2,
        "{}",
        files[0].sql
    );
}

#[test]
fn a_finding_is_inside_only_on_a_character_of_its_file() {
    use migrate::lint::{Kind, Problem};
    let files = case_files(vec![(
        "CREATE TABLE t (a INT);\n\n  DROP TABLE é;\n".to_owned(),
        true,
        None,
    )]);
    let at = |file: &str, position| {
        Finding::new(
            Kind::Error(Problem::Missing),
            file,
            position,
            "DROP TABLE é",
            "message".to_owned(),
            "fix".to_owned(),
        )
    };
    for position in [(1, 1), (1, 23), (3, 3), (3, 15)] {
        assert_eq!(
            inside(&files, &at("0001_case.sql", position)),
            Ok(()),
            "{position:?}"
        );
    }
    for position in [(0, 1), (1, 0), (1, 24), (2, 1), (3, 16), (4, 1), (5, 1)] {
        assert!(
            inside(&files, &at("0001_case.sql", position)).is_err(),
            "{position:?}"
        );
    }
    assert!(inside(&files, &at("0002_case.sql", (1, 1))).is_err());
}
