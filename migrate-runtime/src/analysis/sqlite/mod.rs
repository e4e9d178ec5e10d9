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
//! at run time the rows are the application's.
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

mod connection;
#[cfg(test)]
mod tests;

use std::ops::ControlFlow;

use connection::{Database, EngineError, Failure, Phase, Stop};

use super::{Content, File, Finding, Kind, Problem, Transaction};
use crate::location::locate;
use crate::statements::{split, Dialect};

/// Runs `files` (in version order, each up followed by its down when it has one) on an empty
/// in-memory SQLite database, and returns SQLite's first error that the runtime would
/// certainly meet too. See the [module documentation](self) for when it stops without one.
pub fn execute(files: &[File<'_>]) -> Option<Finding> {
    match outcome(files) {
        Outcome::Failed(finding) => Some(finding),
        Outcome::Finished | Outcome::Uncertain(_) | Outcome::Rust | Outcome::Stopped(_) => None,
    }
}

/// How running the files ended.
#[derive(Debug, PartialEq)]
enum Outcome {
    /// Every file ran.
    Finished,
    /// SQLite refused a statement, as it will at run time.
    Failed(Finding),
    /// SQLite refused a statement, but might not at run time: its message.
    Uncertain(String),
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

/// What a file is run as, for the fix line.
#[derive(Clone, Copy)]
enum Pass<'a> {
    /// An up (or simple) migration, after every earlier one.
    Up,
    /// A down script, right after its up.
    Down,
    /// An up applied again after its down script, whose name this is.
    Again(&'a str),
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
        Err(Failure::Engine(error)) if certain(database, &error) => {
            ControlFlow::Break(Outcome::Failed(finding(file, sql, &error, pass)))
        }
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

/// Messages of errors about names the application may supply at run time: functions,
/// collations, virtual table modules and tokenizers it registers or loads (sqlx's
/// `collation`, `extension`, `regexp`), databases it attaches.
const SUPPLIED_AT_RUN_TIME: [&str; 6] = [
    "no such function: ",
    "no such collation sequence: ",
    "no such module: ",
    "no such tokenizer: ",
    "unknown tokenizer: ",
    "unknown database ",
];

/// Whether the runtime will certainly meet `error` too, on a database that only the
/// migrations have changed.
fn certain(database: &Database, error: &EngineError) -> bool {
    // Only plain SQL errors: the other codes come from the rows (constraints, datatype
    // mismatch), the machine (full, too big, out of memory) or other connections.
    if error.code & 0xff != libsqlite3_sys::SQLITE_ERROR {
        return false;
    }
    if SUPPLIED_AT_RUN_TIME
        .iter()
        .any(|prefix| error.message.starts_with(prefix))
        || in_other_schema(&error.message)
        // Foreign keys are checked only with `foreign_keys = ON`, sqlx's default, which an
        // application may turn off.
        || error.message.starts_with("foreign key mismatch")
    {
        return false;
    }
    match error.phase {
        // Compiling a statement reads only the schema, which the migrations alone made.
        Phase::Prepare => true,
        // Running it may read rows. With none anywhere, the error came from the schema
        // and the statement alone; otherwise the rows at run time are the application's.
        Phase::Step => !database.has_rows(),
    }
}

/// Whether `message` is about a table of a schema other than `main` and `temp` (`no such
/// table: aux.t`): one the application may attach.
fn in_other_schema(message: &str) -> bool {
    message
        .strip_prefix("no such table: ")
        .and_then(|name| name.split_once('.'))
        .is_some_and(|(schema, _)| {
            !schema.eq_ignore_ascii_case("main") && !schema.eq_ignore_ascii_case("temp")
        })
}

/// The finding for `error` in `file`, whose text is `sql`.
fn finding(file: &File<'_>, sql: &str, error: &EngineError, pass: Pass<'_>) -> Finding {
    // The statement's first token: SQLite began to read at the end of the previous one.
    let start = sql
        .get(error.start..)
        .and_then(|rest| split(rest, Dialect::Sqlite).into_iter().next())
        .map_or(error.start, |statement| error.start + statement.offset);
    let at = error
        .token
        .filter(|&token| token >= start && sql.is_char_boundary(token))
        .unwrap_or(start);
    let location = locate(sql, Dialect::Sqlite, at);
    let statement = match &location.statement {
        Some((_, statement)) => statement.as_str(),
        None => sql.get(start..).unwrap_or_default(),
    };
    let fix = match pass {
        Pass::Up => "correct the statement (SQLite refused it when the macro applied the \
                     migrations in order to an empty in-memory database)"
            .to_owned(),
        Pass::Down => "correct the down script so that it reverts its up (SQLite refused it when \
                       the macro ran it right after the up, on an empty in-memory database)"
            .to_owned(),
        Pass::Again(down) => format!(
            "make `{down}` revert everything its up does (SQLite refused this statement when the \
             macro applied the up again after that down script, on an empty in-memory database)"
        ),
    };
    Finding::new(
        Kind::Error(Problem::Engine),
        file.name,
        (location.line, location.column),
        statement,
        error.message.clone(),
        fix,
    )
}
