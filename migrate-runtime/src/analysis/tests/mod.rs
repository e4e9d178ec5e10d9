//! Tests of the model and the certain errors, one migration set per case.

mod errors;
mod lints;
mod uncertain;

use super::{analyze_files, Dialect, File, Finding, Kind, Problem, Settings};

/// The errors of up files `sqls` (versions 1, 2, …), as `(problem, line, column, message)`.
fn errors(dialect: Dialect, sqls: &[&str]) -> Vec<(Problem, usize, usize, String)> {
    let names: Vec<String> = (1..=sqls.len()).map(|v| format!("{v:04}_m.sql")).collect();
    let files: Vec<File<'_>> = sqls
        .iter()
        .zip(&names)
        .zip(1..)
        .map(|((sql, name), version)| File::sql(version, name, sql, true))
        .collect();
    errors_of(&files, dialect)
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
