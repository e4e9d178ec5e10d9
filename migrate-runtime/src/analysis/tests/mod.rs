//! Tests of the model and the certain errors, one migration set per case.

mod errors;
mod lints;
mod uncertain;

use super::{analyze_files, Dialect, File, Finding, Kind, Problem, Settings};

/// The names of `count` up files: `0001_m.sql`, `0002_m.sql`, …
fn names(count: usize) -> Vec<String> {
    (1..=count).map(|v| format!("{v:04}_m.sql")).collect()
}

/// Up files of versions 1, 2, … with `names` and `sqls`, each run in a transaction.
fn up_files<'a>(names: &'a [String], sqls: &[&'a str]) -> Vec<File<'a>> {
    sqls.iter()
        .zip(names)
        .zip(1..)
        .map(|((sql, name), version)| File::sql(version, name, sql, true))
        .collect()
}

/// The errors of up files `sqls` (versions 1, 2, …), as `(problem, line, column, message)`.
fn errors(dialect: Dialect, sqls: &[&str]) -> Vec<(Problem, usize, usize, String)> {
    let names = names(sqls.len());
    errors_of(&up_files(&names, sqls), dialect)
}

fn errors_of(files: &[File<'_>], dialect: Dialect) -> Vec<(Problem, usize, usize, String)> {
    analyze_files(files, dialect, &Settings::default())
        .into_iter()
        .filter_map(|finding: Finding| match finding.kind {
            Kind::Error(problem) => Some((problem, finding.line, finding.column, finding.message)),
            Kind::Lint(_) => None,
        })
        .collect()
}

fn pg(sqls: &[&str]) -> Vec<(Problem, usize, usize, String)> {
    errors(Dialect::Postgres, sqls)
}
