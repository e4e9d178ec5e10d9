//! SQLite executed at compile time (feature `analysis-sqlite`): the migrations run on an
//! empty in-memory database, with the SQLite library sqlx links (`libsqlite3-sys`,
//! bundled), and SQLite's own error is reported at its place in the file.
//!
//! # What runs
//!
//! Files in version order, each as the runtime runs it: a file in one transaction as a
//! whole script (`BEGIN IMMEDIATE`, the script as sqlx's `raw_sql` runs it, `COMMIT`), a
//! `-- migrate:no-transaction` file statement by statement as [`split`] cuts it. A reversible
//! migration runs its up, its down, then its up again: a down that fails, or an up that
//! fails after its down (the down forgot to drop something), is reported. The connection
//! has the settings of sqlx's `SqliteConnectOptions::new()` (`foreign_keys = ON`).
//!
//! # When it stops without a word
//!
//! An error is reported only when the runtime will certainly meet it, on a database that
//! only these migrations have changed. The run stops, and reports nothing more, at:
//!
//! - the first migration written in Rust: it may change anything;
//! - the first error (what follows would be its consequences), reported or not;
//! - a statement that could reach outside the database or depend on the application's
//!   setup: `ATTACH`, `DETACH`, `VACUUM` (which attaches), `load_extension()`, pragmas
//!   that set directories or process-wide limits (the connection refuses them; the macro
//!   never writes a file);
//! - a statement that runs for too long (a recursive CTE without end): a budget of
//!   instructions and time;
//! - a statement that ends its file's transaction (`COMMIT` in a transactional file), or a
//!   `no-transaction` file that leaves one open.
//!
//! And these errors are not reported: any but `SQLITE_ERROR` (constraints, datatype
//! mismatches and deferred foreign keys depend on the rows; full, too big, out of memory
//! depend on the machine), names the application may supply at run time (functions,
//! collations, virtual table modules, tokenizers, attached databases), `foreign key
//! mismatch` (only with `foreign_keys = ON`, which an application may turn off), and an
//! error met while running (rather than compiling) a statement once any table holds a row:
//! at run time the rows are the application's. Nor missing tables that may exist all the
//! same: of another schema (`aux.t`), or SQLite's own (`sqlite_sequence`, `sqlite_stat1`).
//!
//! # In the analysis
//!
//! [`super::analyze_files`] adds SQLite's error to its findings (finding code `engine`),
//! unless the model already reports an error on that statement. Like the other errors it
//! can be allowed: `-- migrate:allow engine` before or in the statement (the run then stops
//! there, silently), or `allow = ["engine"]` for the directory.
//!
//! ```
//! use migrate_runtime::analysis::{sqlite, File};
//!
//! let files = [
//!     File::sql(1, "0001_users.up.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY);", true),
//!     File::down(1, "0001_users.down.sql", "DROP TABEL users;", true),
//! ];
//! let finding = sqlite::execute(&files).expect("the down script fails");
//! assert_eq!((finding.line, finding.column), (1, 6));
//! assert_eq!(finding.message, r#"near "TABEL": syntax error"#);
//! ```

mod certain;
mod connection;
mod refusal;
#[cfg(test)]
mod tests;

use std::ops::ControlFlow;

use certain::certain;
use connection::{Database, Failure, Stop};
use refusal::{refusal, Pass, Refusal};

use super::{Content, File, Finding, Severity, Transaction};
use crate::statements::{split, Dialect};

/// Runs `files` (in version order, each up followed by its down when it has one) on an empty
/// in-memory SQLite database, and returns SQLite's first error that the runtime would
/// certainly meet too. See the [module documentation](self) for when it stops without one.
pub fn execute(files: &[File<'_>]) -> Option<Finding> {
    match outcome(files) {
        Outcome::Failed(refusal) => Some(refusal.finding),
        _ => None,
    }
}

/// Adds what [`execute`] finds to the `findings` of the analysis of the same `files`, in file
/// order; not when one of them is already an error on the same statement, whose message
/// says in the analysis's words what SQLite refuses.
pub(super) fn add_to(files: &[File<'_>], findings: &mut Vec<Finding>) {
    let Outcome::Failed(Refusal { finding, statement }) = outcome(files) else {
        return;
    };
    let (first, last) = statement;
    if findings.iter().any(|other| {
        other.severity() == Severity::Error
            && other.file == finding.file
            && (first..=last).contains(&(other.line, other.column))
    }) {
        return;
    }
    let order = |f: &Finding| {
        let file = files.iter().position(|file| file.name == f.file);
        (file, f.line, f.column)
    };
    let place = order(&finding);
    let index = findings
        .iter()
        .position(|other| order(other) > place)
        .unwrap_or(findings.len());
    findings.insert(index, finding);
}

/// How running the files ended.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Every file ran.
    Finished,
    /// SQLite refused a statement, as it will at run time.
    Failed(Refusal),
    /// SQLite refused a statement, but might not at run time: its message.
    Uncertain(String),
    /// SQLite refused a statement whose comments allow it (`-- migrate:allow engine`).
    Allowed,
    /// A migration written in Rust: it may change anything, so what follows could no longer
    /// be told apart from its effects.
    Rust,
    /// The connection stopped the run.
    Stopped(Stop),
}

/// Runs the files on a new in-memory database.
fn outcome(files: &[File<'_>]) -> Outcome {
    let Some(database) = Database::open() else {
        return Outcome::Stopped(Stop::Unusable);
    };
    match apply(&database, files) {
        ControlFlow::Continue(()) => Outcome::Finished,
        ControlFlow::Break(outcome) => outcome,
    }
}

/// An up file just applied, whose down may follow.
struct Applied<'a> {
    file: &'a File<'a>,
    sql: &'a str,
    transaction: Transaction,
}

/// Runs the files; breaks with how the run ended before the last one.
fn apply<'a>(database: &Database, files: &'a [File<'a>]) -> ControlFlow<Outcome> {
    let mut last_up: Option<Applied<'a>> = None;
    for file in files {
        match file.content {
            Content::Rust => return ControlFlow::Break(Outcome::Rust),
            Content::Up { sql, transaction } => {
                run(database, file, sql, transaction, Pass::Up)?;
                last_up = Some(Applied {
                    file,
                    sql,
                    transaction,
                });
            }
            Content::Down { sql, transaction } => {
                // Only the down of the up just applied, as `analyze_files` orders them.
                let Some(up) = last_up.take().filter(|up| up.file.version == file.version) else {
                    continue;
                };
                run(database, file, sql, transaction, Pass::Down)?;
                run(
                    database,
                    up.file,
                    up.sql,
                    up.transaction,
                    Pass::Again(file.name),
                )?;
            }
        }
    }
    ControlFlow::Continue(())
}

/// Runs one file; breaks when it does not run to its end (the first error stops the run:
/// what follows would be its consequences).
fn run(
    database: &Database,
    file: &File<'_>,
    sql: &str,
    transaction: Transaction,
    pass: Pass<'_>,
) -> ControlFlow<Outcome> {
    match run_file(database, sql, transaction) {
        Ok(()) => ControlFlow::Continue(()),
        Err(Failure::Engine(error)) if certain(database, &error) => ControlFlow::Break(
            refusal(file, sql, &error, pass).map_or(Outcome::Allowed, Outcome::Failed),
        ),
        Err(Failure::Engine(error)) => ControlFlow::Break(Outcome::Uncertain(error.message)),
        Err(Failure::Stopped(stop)) => ControlFlow::Break(Outcome::Stopped(stop)),
    }
}

/// Runs `sql` as the runtime runs a file with `transaction`.
fn run_file(database: &Database, sql: &str, transaction: Transaction) -> Result<(), Failure> {
    match transaction {
        Transaction::One => {
            database.control(c"BEGIN IMMEDIATE")?;
            database.run(sql, 0, true)?;
            database.control(c"COMMIT")
        }
        Transaction::None => {
            for statement in split(sql, Dialect::Sqlite) {
                database.run(statement.sql, statement.offset, false)?;
            }
            if database.in_transaction() {
                // The runtime would record the file's progress inside that transaction.
                return Err(Failure::Stopped(Stop::Transaction));
            }
            Ok(())
        }
    }
}
