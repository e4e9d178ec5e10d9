//! Reading the SQL of migrations (feature `analysis`): each file split into statements with
//! their positions, each statement parsed for its dialect, a schema model folded over the
//! migrations in version order, the errors that are certain, and safety lints.
//!
//! `embed_migrations!` runs it at compile time and reports errors as compile errors and lints
//! as warnings; [`analyze`] runs it on embedded migrations, for the CLI's `lint` command, CI
//! and editors.
//!
//! # Certainty
//!
//! An error is reported only when the statement certainly fails: the model knows an object
//! only from statements it understood. A statement the parser rejects is *opaque*: the names
//! it mentions become unknown (it may have created, changed or dropped them). A migration
//! written in Rust, a `DO` block or dynamic SQL may touch anything, so after one nothing is
//! certainly missing any more. Objects of a schema the migrations never create (an
//! extension's, Supabase's `auth`) are unknown, never missing.
//!
//! # Lints
//!
//! See [`Rule`]: each has a name, the risk, the safe pattern and a one-line fix. A lint is a
//! warning; a statement opts out with a comment naming the rule (`-- migrate:allow
//! drop-column`) in the comments before it or inside it, a directory with
//! [`Settings::allow`].
//!
//! ```
//! use migrate_runtime::analysis::{analyze_files, Dialect, File, Settings, Severity};
//!
//! let files = [
//!     File::sql(1, "0001_users.sql", "CREATE TABLE users (id INT PRIMARY KEY);", true),
//!     File::sql(2, "0002_index.sql", "CREATE INDEX users_name ON users (name);", true),
//! ];
//! let findings = analyze_files(&files, Dialect::Postgres, &Settings::default());
//! let errors: Vec<_> = findings.iter().filter(|f| f.severity() == Severity::Error).collect();
//! assert_eq!(errors.len(), 1);
//! assert!(errors[0].message.contains("column `users.name` does not exist"));
//! // And lints: the index is built without CONCURRENTLY on a table that already existed.
//! assert!(findings.iter().any(|f| f.code() == "index-without-concurrently"));
//! ```

mod allow;
mod check;
mod effects;
mod finding;
mod message;
mod model;
mod name;
mod parse;
pub mod rules;
#[cfg(feature = "analysis-sqlite")]
pub mod sqlite;
#[cfg(test)]
mod tests;
mod transaction;

pub use finding::{Finding, Kind, Problem, Severity};
pub use rules::Rule;

pub use crate::statements::Dialect;

/// One migration file as the analysis reads it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct File<'a> {
    /// The migration's version.
    pub version: i64,
    /// The file name, for messages.
    pub name: &'a str,
    /// What the file is.
    pub content: Content<'a>,
}

/// What a migration file holds.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Content<'a> {
    /// An up (or simple) SQL file.
    Up {
        /// The SQL.
        sql: &'a str,
        /// How the runtime runs it.
        transaction: Transaction,
    },
    /// The down script of the migration of the same version: checked against the schema
    /// after its up.
    Down {
        /// The SQL.
        sql: &'a str,
        /// How the runtime runs it.
        transaction: Transaction,
    },
    /// A migration written in Rust: it may change anything.
    Rust,
}

/// Whether the runtime runs a file in one transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transaction {
    /// In one transaction (the default).
    One,
    /// Outside a transaction (`-- migrate:no-transaction`).
    None,
}

impl<'a> File<'a> {
    /// An up (or simple) SQL file; `transaction` is false for `-- migrate:no-transaction`.
    pub fn sql(version: i64, name: &'a str, sql: &'a str, transaction: bool) -> Self {
        File {
            version,
            name,
            content: Content::Up {
                sql,
                transaction: Transaction::from_flag(transaction),
            },
        }
    }

    /// The down script of migration `version`.
    pub fn down(version: i64, name: &'a str, sql: &'a str, transaction: bool) -> Self {
        File {
            version,
            name,
            content: Content::Down {
                sql,
                transaction: Transaction::from_flag(transaction),
            },
        }
    }

    /// A migration written in Rust.
    pub fn rust(version: i64, name: &'a str) -> Self {
        File {
            version,
            name,
            content: Content::Rust,
        }
    }
}

impl Transaction {
    fn from_flag(transaction: bool) -> Self {
        if transaction {
            Transaction::One
        } else {
            Transaction::None
        }
    }
}

/// What the analysis is told beyond the files.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Settings {
    /// Rules turned off for every file (the macro's `allow = [...]`).
    pub allow: Vec<Rule>,
    /// Errors turned off for every file (also `allow = [...]`, by their names).
    pub allow_errors: Vec<Problem>,
    /// Lint only migrations of this version and later (the macro's `lints_from = V`): the
    /// earlier ones are applied already, and a warning about them helps nobody. Errors are
    /// reported in every migration.
    pub lints_from: Option<i64>,
}

impl Settings {
    /// Settings that turn off `rules` for every file.
    pub fn allowing(rules: impl IntoIterator<Item = Rule>) -> Self {
        Settings {
            allow: rules.into_iter().collect(),
            ..Settings::default()
        }
    }

    /// Turns off the rule or the error named `name` (a [`Rule::name`] or an allowable
    /// [`Problem::name`]) for every file. Returns false, changing nothing, when no rule or
    /// allowable error has that name.
    pub fn allow_name(&mut self, name: &str) -> bool {
        if let Some(rule) = Rule::from_name(name) {
            self.allow.push(rule);
        } else if let Some(problem) = Problem::from_name(name) {
            self.allow_errors.push(problem);
        } else {
            return false;
        }
        true
    }

    /// Every name [`Settings::allow_name`] accepts, for messages.
    pub fn allowable_names() -> Vec<&'static str> {
        Rule::ALL
            .iter()
            .map(|rule| rule.name())
            .chain(Problem::ALLOWABLE.iter().map(|problem| problem.name()))
            .collect()
    }

    /// The name [`Settings::allow_name`] accepts that `name` is a near miss of, if any.
    pub fn closest_name(name: &str) -> Option<&'static str> {
        Settings::allowable_names()
            .into_iter()
            .find(|known| crate::source::directive::distance(name, known) <= 2)
    }

    /// Whether a finding of `kind` is turned off for every file.
    fn allows(&self, kind: Kind) -> bool {
        match kind {
            Kind::Lint(rule) => self.allow.contains(&rule),
            Kind::Error(problem) => self.allow_errors.contains(&problem),
        }
    }
}

/// Analyzes migration files given in version order, each up file followed by its down file
/// when it has one. Returns every finding, in file order.
pub fn analyze_files(files: &[File<'_>], dialect: Dialect, settings: &Settings) -> Vec<Finding> {
    let mut findings = check::run(files, dialect, settings.lints_from);
    #[cfg(feature = "analysis-sqlite")]
    if dialect == Dialect::Sqlite {
        sqlite::add_to(files, &mut findings);
    }
    findings.retain(|finding| !settings.allows(finding.kind));
    findings
}

/// Analyzes embedded migrations (what `embed_migrations!` generated) for `dialect`, with
/// the names the macro call allowed (`allow = [...]`) allowed on top of `settings`.
pub fn analyze(
    migrations: &crate::Migrations,
    dialect: Dialect,
    settings: &Settings,
) -> Vec<Finding> {
    let mut settings = settings.clone();
    settings.lints_from = settings.lints_from.or(migrations.lints_from());
    for name in migrations.allowed_lints() {
        // The macro rejected any other name; a hand-built list may hold one: passed over.
        let _known = settings.allow_name(name);
    }
    analyze_files(&files(migrations), dialect, &settings)
}

/// The files of embedded migrations as the analysis reads them: each up file, followed by
/// its down file when it has one, in version order.
pub fn files(migrations: &crate::Migrations) -> Vec<File<'static>> {
    let mut files = Vec::with_capacity(migrations.len() * 2);
    for migration in migrations.iter() {
        let version = migration.version();
        let up = migration.up();
        if up.is_rust() {
            files.push(File::rust(version, up.file()));
            continue;
        }
        files.push(File::sql(
            version,
            up.file(),
            up.sql(),
            !up.no_transaction(),
        ));
        if let Some(down) = migration.down() {
            files.push(File::down(
                version,
                down.file(),
                down.sql(),
                !down.no_transaction(),
            ));
        }
    }
    files
}

/// The findings of one directory read in several dialects (one list per dialect), as one
/// list: every error (a statement that fails on one of its databases fails), but only the
/// lints every dialect reports, since the fix of one database's lint (`CONCURRENTLY`,
/// `SET LOCAL lock_timeout`) is no SQL the others accept. Each finding once.
pub fn combine(per_dialect: Vec<Vec<Finding>>) -> Vec<Finding> {
    let same_place = |a: &Finding, b: &Finding| {
        (a.kind, &a.file, a.line, a.column) == (b.kind, &b.file, b.line, b.column)
    };
    let mut findings: Vec<Finding> = Vec::new();
    for finding in per_dialect.iter().flatten() {
        let everywhere = finding.severity() == Severity::Error
            || per_dialect
                .iter()
                .all(|other| other.iter().any(|f| same_place(f, finding)));
        if everywhere && !findings.iter().any(|f| same_place(f, finding)) {
            findings.push(finding.clone());
        }
    }
    findings
}
