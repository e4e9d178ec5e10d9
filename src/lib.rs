//! Database migrations that are checked when the application is compiled and applied safely
//! when it runs, on PostgreSQL, MySQL/MariaDB and SQLite.
//!
//! [`embed_migrations!`] reads a directory of SQL files (and Rust files, see below) at compile time, reports every
//! problem in it as a compile error (duplicate versions, malformed names, orphan down files,
//! misspelled directives, …), and generates a module `migrations` with one named item per
//! migration and a `run` function. At start-up, `migrations::run(&pool)` applies what is
//! pending through your own sqlx pool, under a lock, so that any number of replicas can start
//! at once.
//!
//! The package is `checked-migrations` on crates.io (`migrate` is another project). Name the
//! dependency `migrate`, as these docs do:
//! `migrate = { package = "checked-migrations", version = "0.1", features = ["postgres"] }`.
//! Any other name works as well: the generated code does not depend on it.
//!
//! ```no_run
//! # extern crate checked_migrations as migrate; // users name the dependency `migrate`
//! # #[cfg(feature = "sqlite")]
//! # mod app {
//! migrate::embed_migrations!("migrations");
//!
//! async fn start(pool: &sqlx::SqlitePool) -> Result<(), migrate::Error> {
//!     let report = migrations::run(pool).await?;
//!     for applied in report.applied() {
//!         println!("applied {} {} in {:?}", applied.version, applied.name, applied.duration);
//!     }
//!     Ok(())
//! }
//! # }
//! # fn main() {}
//! ```
//!
//! # Features
//! - `postgres`: `run` accepts `&sqlx::PgPool`.
//! - `sqlite`: `run` accepts `&sqlx::SqlitePool`.
//! - `mysql`: `run` accepts `&sqlx::MySqlPool` (MySQL and MariaDB).
//! - `cli`: [`cli::main`], a command-line interface over the embedded migrations (with
//!   `lint`).
//! - `lint`: [`lint::lint`], the macro's analysis of the SQL (certain errors and risky
//!   statements) run on the embedded migrations, without a database.
//! - `runtime` (default): the migrator. Turn default features off in `[build-dependencies]`
//!   to get only [`build`].
//!
//! # Files
//! `<version>_<description>.sql` is a migration that cannot be reverted;
//! `<version>_<description>.up.sql` with `<version>_<description>.down.sql` is one that can.
//! The version is an integer that fits `i64` (leading zeros allowed, so `024` and `24` are
//! the same version); the description holds ASCII letters, digits, `_` and `-`. This is
//! sqlx's layout, so an sqlx project can switch without renaming files.
//!
//! A file may start with directives in SQL comments: `-- migrate:no-transaction` runs it
//! outside a transaction (for `CREATE INDEX CONCURRENTLY` and the like; sqlx's
//! `-- no-transaction` is accepted too). A directive counts anywhere in the header, the blank
//! and `--` lines before the first statement, so a file may open with a description; sqlx
//! honours `-- no-transaction` only as the very first line, so such a file runs outside a
//! transaction here and inside one under sqlx.
//!
//! Unknown or misspelled directives are compile errors, but only where the comment cannot be
//! prose, since a compile error must be a certainty: `-- migrate:<name>` with one token after
//! the colon is a directive (`-- migrate:bogus` is an error), and a comment that is one
//! lowercase token of the directive's form close to its name (`-- no-transacton`,
//! `-- no_transaction`, `-- migrate no-transaction`) is a misspelling. Everything else is a
//! comment: `-- Transaction`, `-- migrate: add the users table`.
//!
//! # Migrations written in Rust
//! Some changes need code between two SQL steps: add a nullable column, fill it with logic that
//! is awkward in SQL, then make it `NOT NULL`. A `<version>_<description>.rs` file in the
//! directory is such a migration. It sits in the same ordered list, is checked like any file
//! (names, duplicate versions), and its checksum covers its source. The macro compiles it as a
//! module of the generated `migrations` module, so the compiler reports its errors, a wrong
//! signature included, in that file.
//!
//! ```ignore
//! // migrations/0005_backfill_handles.rs
//! #[migrate::up]
//! async fn up(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
//!     // Runs in the migration's transaction, under the migration lock.
//!     Ok(())
//! }
//!
//! #[migrate::down] // optional: makes the migration reversible
//! async fn down(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
//!     Ok(())
//! }
//! ```
//!
//! The function takes the connection of one database; a file may hold one `up` (and `down`)
//! function per database, and a run on a database the file has no function for is refused
//! before anything is applied ([`Error::WrongBackend`]). Each runs in one transaction with its
//! history row, on MySQL too (keep DDL in SQL files there: MySQL commits DDL on its own). An
//! error it returns rolls it back ([`Error::Code`]). Keep the file self-contained: it is compiled
//! with your crate, so code it borrows from the application changes under it later.
//!
//! # Locking and failures
//! See [`LockMode`] for how concurrent runners exclude each other, and [`Error::Dirty`] for
//! what happens when a migration that cannot run in one transaction (every MySQL migration,
//! `no-transaction` files) fails part-way: progress is recorded per statement, later runs
//! refuse until the failing statement is fixed, and then resume at it.
//!
//! # The history table
//! Applied migrations are recorded in `_migrate_history` (configurable with
//! [`Migrator::history_table`]): version, name, SHA-256 checksum of the up file, success,
//! applied at, duration in microseconds, and the down script, so that an older binary can
//! still revert a newer migration.

#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod build;
#[cfg(feature = "cli")]
#[cfg_attr(docsrs, doc(cfg(feature = "cli")))]
pub mod cli;
#[cfg(feature = "lint")]
#[cfg_attr(docsrs, doc(cfg(feature = "lint")))]
pub mod lint;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;

#[cfg(feature = "runtime")]
#[cfg_attr(docsrs, doc(cfg(feature = "runtime")))]
pub use migrate_macros::{down, up};

/// Embeds a directory of migrations, checked at compile time, as a module `migrations`.
///
/// The path is relative to the directory of the crate's `Cargo.toml`. The module holds one
/// [`Migration`] per file (`migrations::V3_ADD_THREADS`), every migration in version order
/// (`migrations::MIGRATIONS`), `migrations::migrator()` to configure a [`Migrator`], and
/// `migrations::run(&pool)`, which applies what is pending. Every problem of the directory
/// is a compile error that names the file. See the [crate documentation](crate).
///
/// # The SQL, read at compile time
///
/// The macro also reads the SQL of every file, in version order, into a model of the schema
/// (tables, columns, indexes, views, types, functions, schemas). A statement that *certainly*
/// fails is a compile error at `file:line:column` with the fix: a table or column that does
/// not exist at that point, something created twice (two branches that both add `memories`),
/// `CREATE INDEX CONCURRENTLY` in a file that runs in a transaction; down scripts are checked
/// against the schema after their up. What the model cannot know is never an error: a
/// statement the parser does not understand, a `DO` block, a migration written in Rust and
/// objects of schemas the migrations never create make what they may touch unknown. Risky
/// statements are warnings (lints): see `migrate_runtime::analysis::Rule` for each rule, its
/// risk and the safe pattern. On SQLite each file is also executed on an in-memory database
/// at compile time, with its down script and its up again.
///
/// Arguments after the path, all optional:
///
/// - `dialect = "postgres"` (or `"mysql"`, `"sqlite"`, or a list such as
///   `["postgres", "sqlite"]` for a directory that runs on several): the SQL's dialect.
///   Without it, the one backend feature enabled (`postgres`, `mysql`, `sqlite`) decides;
///   with several enabled the SQL is not read and a warning asks to name the dialect.
/// - `allow = ["drop-column", "missing"]`: rules (or errors, by name: `missing`,
///   `already-exists`, `needs-no-transaction`, `engine`) turned off for the directory. One
///   statement opts out with a comment above it or inside it:
///   `-- migrate:allow drop-column -- nothing reads it since 2.3` (the text after ` -- ` is
///   the reason). Turn an error off only for what the analysis cannot see, such as a table
///   another tool creates. An unknown name is a compile error.
/// - `lints = "deny"`: lints are compile errors (for CI). Lints are deprecation warnings, so
///   `RUSTFLAGS="-D warnings"` denies them too.
/// - `lints_from = 42`: lint only migration 42 and later. For a project that adopts the
///   macro with migrations long applied in production: their lints help nobody now, while
///   errors are still reported in every migration.
///
/// ```no_run
/// # extern crate checked_migrations as migrate; // users name the dependency `migrate`
/// # #[cfg(all(feature = "postgres", feature = "sqlite", feature = "mysql"))]
/// # mod app {
/// // The example application's migrations run on all three databases.
/// migrate::embed_migrations!(
///     "migrations",
///     dialect = ["postgres", "mysql", "sqlite"],
///     allow = ["drop-table"]
/// );
/// # }
/// # fn main() {}
/// ```
///
/// The generated code reaches this crate through `$crate`, so it works under any name you give
/// the dependency in `Cargo.toml`.
#[cfg(feature = "runtime")]
#[cfg_attr(docsrs, doc(cfg(feature = "runtime")))]
#[macro_export]
macro_rules! embed_migrations {
    ($($arguments:tt)*) => {
        $crate::__private::embed_migrations!($crate, $($arguments)*);
    };
}
#[cfg(feature = "runtime")]
#[cfg_attr(docsrs, doc(cfg(feature = "runtime")))]
pub use migrate_runtime::{
    checksum, Applied, AppliedMigration, Backend, BoxError, Code, Direction, Down, Error,
    HistoryTable, Location, LockMode, Migration, MigrationStatus, Migrations, Migrator, Operation,
    PlannedStep, Pool, Progress, Repair, Report, Script, State, DEFAULT_LOCK_TIMEOUT,
    DEFAULT_TABLE,
};

/// What the code generated by [`embed_migrations!`] refers to; not part of the API.
#[cfg(feature = "runtime")]
#[doc(hidden)]
pub mod __private {
    pub use migrate_macros::embed_migrations;
    pub use migrate_runtime::__private::*;
}
