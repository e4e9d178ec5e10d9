//! The analysis never panics, and every finding it reports lies inside its file, in every
//! dialect: on random SQL-ish text, on statements built from templates (so that the schema
//! model and the lints have something to find), and on real SQL mutated (characters deleted
//! and inserted, statements swapped and repeated, files cut short): this repository's
//! `migrations/` and test fixtures always, the corpus beside it (`../shared/corpus`) when it
//! is there.
//!
//! Each property runs 48 cases by default (CI has 2 cores); set `PROPTEST_CASES` for more.

#[path = "analysis_never_panics/generated.rs"]
mod generated;
#[path = "analysis_never_panics/mutation.rs"]
mod mutation;

use migrate::lint::{analyze_files, Dialect, File, Finding, Settings};
use migrate_tests::corpus::Role;
use proptest::prelude::*;
use proptest::test_runner::RngAlgorithm;

use generated::{files_of, settings, sqlish, statements};
use mutation::{mutated_real_sql, real_directories, Mutation, Pick};

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

impl From<&migrate_tests::corpus::MigrationFile> for CaseFile {
    fn from(file: &migrate_tests::corpus::MigrationFile) -> Self {
        CaseFile {
            version: file.version,
            name: file.name.clone(),
            sql: file.sql.clone(),
            transaction: file.transaction,
            down: file.role == Role::Down,
        }
    }
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
        let files: Vec<CaseFile> = files.iter().map(CaseFile::from).collect();
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
        before.div_ceil(2),
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
