//! `migrate lint`: the build's analysis of the SQL, run on the embedded migrations without a
//! database (see [`crate::lint`]).
//!
//! The dialect is `--dialect`; else the scheme of `--database-url` / `DATABASE_URL` (nothing
//! connects); else the one the build read the SQL in (the macro call's `dialect = …`, or the
//! one database feature); otherwise the command line is wrong (exit 2). When the macro call
//! names several dialects, the SQL is read in each and a finding is reported once. The rules
//! of the macro call's `allow = [...]` are allowed, as in the build.
//!
//! The text is each finding as the compiler shows it, then a summary line; `--json` prints one
//! document with every finding. Exit `0` when there is no error (with `--deny-warnings`, no
//! warning either), else `5`.

use std::fmt::Write as _;
use std::process::ExitCode;

use super::{database_url, finish, quote, usage};
use crate::lint::{self, Dialect, Finding, Settings, Severity};
use crate::Migrations;

/// The exit code when the analysis finds an error (or, with `--deny-warnings`, a warning).
/// The codes `1` to `4` say that an operation or the database failed; this one says that the
/// migrations need fixing, and nothing was run.
const FOUND: u8 = 5;

/// The arguments of `lint`.
#[derive(clap::Args, Debug)]
pub(super) struct LintArgs {
    /// The dialect to read the SQL in. Default: the scheme of --database-url, else the
    /// dialect the build read it in.
    #[arg(long, value_enum)]
    dialect: Option<DialectArg>,
    /// Exit with 5 on warnings too, not only on errors.
    #[arg(long)]
    deny_warnings: bool,
}

/// A dialect as the command line names it.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum DialectArg {
    #[value(alias = "postgresql")]
    Postgres,
    #[value(alias = "mariadb")]
    Mysql,
    Sqlite,
}

impl From<DialectArg> for Dialect {
    fn from(arg: DialectArg) -> Dialect {
        match arg {
            DialectArg::Postgres => Dialect::Postgres,
            DialectArg::Mysql => Dialect::MySql,
            DialectArg::Sqlite => Dialect::Sqlite,
        }
    }
}

/// Runs `lint`, prints its report and returns the exit code.
pub(super) fn main(
    migrations: &Migrations,
    args: &LintArgs,
    database_url: Option<&str>,
    json: bool,
) -> ExitCode {
    let dialects = match dialects(migrations, args, database_url) {
        Ok(dialects) => dialects,
        Err(message) => return finish(json, Err(usage(message))),
    };
    let findings = findings(migrations, &dialects);
    let report = Report::new(&dialects, &findings);
    if json {
        print!("{}", report.json());
    } else {
        print!("{}", report.text());
    }
    if report.errors > 0 || (args.deny_warnings && report.warnings > 0) {
        ExitCode::from(FOUND)
    } else {
        ExitCode::SUCCESS
    }
}

/// The dialects to read the SQL in (see the module docs), or why none can be chosen.
fn dialects(
    migrations: &Migrations,
    args: &LintArgs,
    database_url: Option<&str>,
) -> Result<Vec<Dialect>, String> {
    if let Some(dialect) = args.dialect {
        return Ok(vec![dialect.into()]);
    }
    // A blank `DATABASE_URL` says nothing; `lint` needs no database.
    if let Some(url) = database_url.filter(|url| !url.trim().is_empty()) {
        let scheme = database_url::scheme(url)
            .map_err(|message| format!("{message}; or name the dialect with --dialect"))?;
        return match scheme.as_str() {
            "postgres" | "postgresql" => Ok(vec![Dialect::Postgres]),
            "mysql" | "mariadb" => Ok(vec![Dialect::MySql]),
            "sqlite" => Ok(vec![Dialect::Sqlite]),
            other => Err(format!(
                "cannot tell the SQL dialect from the database URL's scheme `{other}`: pass --dialect postgres, --dialect mysql or --dialect sqlite"
            )),
        };
    }
    let recorded = lint::dialects(migrations);
    if recorded.is_empty() {
        return Err(
            "cannot tell which SQL dialect the migrations are written in (the build names none, and several or no database features are enabled): pass --dialect postgres, --dialect mysql or --dialect sqlite, or a --database-url"
                .to_owned(),
        );
    }
    Ok(recorded)
}

/// The findings in every dialect, combined as the build combines them.
fn findings(migrations: &Migrations, dialects: &[Dialect]) -> Vec<Finding> {
    let settings = Settings::default();
    lint::combine(
        dialects
            .iter()
            .map(|&dialect| lint::lint(migrations, dialect, &settings))
            .collect(),
    )
}

/// What `lint` prints.
struct Report<'a> {
    dialects: &'a [Dialect],
    findings: &'a [Finding],
    errors: usize,
    warnings: usize,
}

impl<'a> Report<'a> {
    fn new(dialects: &'a [Dialect], findings: &'a [Finding]) -> Self {
        let errors = findings
            .iter()
            .filter(|f| f.severity() == Severity::Error)
            .count();
        Report {
            dialects,
            findings,
            errors,
            warnings: findings.len() - errors,
        }
    }

    /// Each finding as the compiler shows it, a blank line after each, then the summary.
    fn text(&self) -> String {
        let mut out = String::new();
        for finding in self.findings {
            let _ = writeln!(
                out,
                "{}[{}]: {finding}\n",
                severity_name(finding.severity()),
                finding.code()
            );
        }
        let names: Vec<&str> = self.dialects.iter().map(|d| dialect_name(*d)).collect();
        let _ = writeln!(
            out,
            "{}, {} (SQL read as {})",
            plural(self.errors, "error"),
            plural(self.warnings, "warning"),
            names.join(", ")
        );
        out
    }

    /// One JSON document: the dialects, the counts and every finding.
    fn json(&self) -> String {
        let dialects: Vec<String> = self
            .dialects
            .iter()
            .map(|d| quote(dialect_name(*d)))
            .collect();
        let findings: Vec<String> = self.findings.iter().map(finding_json).collect();
        format!(
            "{{\"dialects\":[{}],\"errors\":{},\"warnings\":{},\"findings\":[{}]}}\n",
            dialects.join(","),
            self.errors,
            self.warnings,
            findings.join(",")
        )
    }
}

fn finding_json(finding: &Finding) -> String {
    format!(
        "{{\"kind\":{},\"code\":{},\"file\":{},\"line\":{},\"column\":{},\"statement\":{},\"message\":{},\"fix\":{}}}",
        quote(severity_name(finding.severity())),
        quote(finding.code()),
        quote(&finding.file),
        finding.line,
        finding.column,
        quote(&finding.statement),
        quote(&finding.message),
        quote(&finding.fix)
    )
}

fn severity_name(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn dialect_name(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "postgres",
        Dialect::MySql => "mysql",
        Dialect::Sqlite => "sqlite",
        _ => "other",
    }
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_spelled_like_the_compiler_does() {
        assert_eq!(plural(0, "error"), "0 errors");
        assert_eq!(plural(1, "warning"), "1 warning");
        assert_eq!(plural(2, "warning"), "2 warnings");
    }
}
