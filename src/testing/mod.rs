//! Test support (feature `testing`): a fresh, migrated database per test in one line, and a
//! check that every down script really undoes its up script.
//!
//! ```no_run
//! # extern crate checked_migrations as migrate; // users name the dependency `migrate`
//! # #[cfg(feature = "postgres")]
//! # mod app {
//! # // A fixture of this repository stands in for the application's `migrations/`.
//! # migrate::embed_migrations!("tests/fixtures/testing_app");
//! // migrate::embed_migrations!("migrations"); generates `migrations::MIGRATIONS`
//!
//! #[tokio::test]
//! async fn creates_a_user() {
//!     let db = migrate::testing::TestDatabase::postgres(&migrations::MIGRATIONS).await.unwrap();
//!     sqlx::query("INSERT INTO users (id, email, display_name) VALUES ('1', 'a@b.c', 'A')")
//!         .execute(db.pool())
//!         .await
//!         .unwrap();
//! } // the database is dropped here, also when an assertion above panics
//! # }
//! # fn main() {}
//! ```
//!
//! # Fresh databases
//! [`TestDatabase::postgres`], [`TestDatabase::mysql`] and [`TestDatabase::sqlite`] create a
//! uniquely named database, apply the migrations, and return it with a pool
//! ([`TestDatabase::pool`]). Dropping the value drops the database, also when the test
//! panics: PostgreSQL with `DROP DATABASE … WITH (FORCE)`, MySQL after ending the
//! connections still open on it, SQLite by removing the file's directory.
//! [`TestDatabaseBuilder`] configures the migrator (e.g. a custom history table), the server,
//! templates, or asks for an empty database.
//!
//! The servers come from the environment (the admin URL is the database through which test
//! databases are created and dropped; its user needs `CREATEDB`):
//!
//! | backend | variable | then | default |
//! |---|---|---|---|
//! | PostgreSQL | `MIGRATE_TEST_POSTGRES_URL` | `DATABASE_URL` if `postgres://` or `postgresql://` | `postgres://postgres:postgres@127.0.0.1:5432/postgres` |
//! | MySQL, MariaDB | `MIGRATE_TEST_MYSQL_URL` | `DATABASE_URL` if `mysql://` or `mariadb://` | `mysql://root@127.0.0.1:3306/mysql` |
//! | SQLite | `MIGRATE_TEST_SQLITE_DIR` (a directory) | | the system's temporary directory |
//!
//! An unreachable server is [`TestError::Unreachable`] ([`TestError::is_unreachable`]), so a
//! test suite can choose to skip locally and fail in CI.
//!
//! # Templates: migrate once, copy per test
//! On PostgreSQL the migrations run once, into a template database named after a digest of
//! the migrations (each version, name, checksum and down script) and the history table:
//! `migrate_tpl_<16 hex digits>`. Every test database is then `CREATE DATABASE … TEMPLATE`
//! of it, which copies files instead of running SQL. An unchanged set of migrations reuses the
//! template across test threads, processes and `cargo test` runs; changing, adding or
//! removing a migration gives a new digest and so a new template. The template is built under
//! a temporary name while holding an advisory lock, then closed to connections and renamed,
//! so concurrent tests never see a half-built one. Templates stay on the server (one per
//! migration set); drop old ones with `ALTER DATABASE migrate_tpl_… IS_TEMPLATE false` and
//! `DROP DATABASE migrate_tpl_…`. Per-database settings (`ALTER DATABASE … SET`) are not
//! copied by PostgreSQL; a migration that makes them needs [`TestDatabaseBuilder::template`]
//! off.
//!
//! The digest covers the files of the migrations: a migration written in Rust that calls code
//! elsewhere in the crate gets no new template when only that code changes (drop the
//! template, or turn templates off while working on it).
//!
//! SQLite does the same with a template file, `migrate_tpl_<digest>.db` in the SQLite
//! directory, copied per test. MySQL has no templates: each test database is migrated. On
//! MySQL a schema-qualified history table (`ops.history`) lives in another database that all
//! test databases would share: use an unqualified name there.
//!
//! # Reversibility
//! [`ReversibilityCheck`] applies each reversible migration up, down and up again on an
//! empty database, comparing [`Snapshot`]s of the schema (tables, columns with their types,
//! nullability and defaults, indexes, constraints, views, triggers; on PostgreSQL also
//! sequences, functions, types and extensions) and reports the first migration whose down
//! script fails or does not restore the schema, with the difference:
//!
//! ```no_run
//! # extern crate checked_migrations as migrate; // users name the dependency `migrate`
//! # #[cfg(feature = "sqlite")]
//! # mod app {
//! use migrate::testing::{ReversibilityCheck, TestDatabaseBuilder};
//! # migrate::embed_migrations!("tests/fixtures/testing_app");
//!
//! #[tokio::test]
//! async fn every_down_script_restores_the_schema() {
//!     let db = TestDatabaseBuilder::new(&migrations::MIGRATIONS)
//!         .migrated(false)
//!         .sqlite()
//!         .await
//!         .unwrap();
//!     if let Err(error) = ReversibilityCheck::new(&migrations::MIGRATIONS).run(db.pool()).await {
//!         panic!("{error}");
//!     }
//! }
//! # }
//! # fn main() {}
//! ```
//!
//! A failure prints like:
//!
//! ```text
//! the down script of migration 2 (`0002_age_and_name_index.down.sql`) did not restore the schema;
//! compared with before the migration (- missing, + left over):
//!   + index users_name_idx: CREATE INDEX users_name_idx ON public.users USING btree (name)
//! ```

// Some helpers serve only the server backends, or only some of them.
#![cfg_attr(
    not(all(feature = "postgres", feature = "mysql", feature = "sqlite")),
    allow(dead_code)
)]

mod config;
mod database;
mod error;
#[cfg(feature = "mysql")]
mod mysql;
#[cfg(feature = "mysql")]
mod mysql_schema;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "postgres")]
mod postgres_schema;
mod reversible;
mod snapshot;
#[cfg(feature = "sqlite")]
mod sqlite;
#[cfg(feature = "sqlite")]
mod sqlite_schema;
mod template;

pub use config::{
    DEFAULT_MYSQL_URL, DEFAULT_POSTGRES_URL, MYSQL_URL_VARIABLE, POSTGRES_URL_VARIABLE,
    SQLITE_DIR_VARIABLE,
};
pub use database::{TestDatabase, TestDatabaseBuilder};
pub use error::TestError;
pub use reversible::{ReversibilityCheck, ReversibilityError, ReversibilityReport};
pub use snapshot::{Exclude, Inspect, SchemaDiff, Snapshot};

/// The name of the template database (PostgreSQL) or file stem (SQLite) that test databases
/// for `migrator` are copied from: `migrate_tpl_` and a digest of the migrations and the
/// history table. The same for every process and run while the migrations are unchanged.
pub fn template_name(migrator: &crate::Migrator) -> String {
    template::template_name(migrator)
}
