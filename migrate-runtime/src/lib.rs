//! Runtime of [`migrate`](https://docs.rs/migrate): applies migrations embedded by
//! `migrate::embed_migrations!` to PostgreSQL, MySQL/MariaDB or SQLite through the application's own sqlx pool.
//!
//! Applications depend on the `migrate` crate, which re-exports everything here; this crate
//! is its implementation.
//!
//! ```
//! use migrate_runtime::checksum;
//! // Checksums ignore the line-ending style of the checkout.
//! assert_eq!(checksum(b"SELECT 1;\r\n"), checksum(b"SELECT 1;\n"));
//! ```

#![warn(missing_docs)]
// Without a backend feature nothing calls the helpers the backends share; that build exists
// for `source`, which the macro crate and the facade's `build` module use.
#![cfg_attr(
    not(any(feature = "postgres", feature = "sqlite", feature = "mysql")),
    allow(dead_code)
)]

#[cfg(feature = "analysis")]
pub mod analysis;
mod code;
mod driver;
mod error;
mod history;
mod location;
mod lock;
mod migration;
mod migrator;
mod plan;
mod report;
mod seal;
#[doc(hidden)]
pub mod source;
pub mod statements;
mod summary;

pub use code::{Backend, BoxError, Code};
pub use driver::Pool;
pub use error::{Error, Location};
pub use history::{AppliedMigration, Direction, HistoryTable, DEFAULT_TABLE};
pub use lock::{LockMode, DEFAULT_LOCK_TIMEOUT};
pub use migration::{checksum, Migration, Migrations, Script};
pub use migrator::{Down, MigrationStatus, Migrator, Operation, PlannedStep, Progress, State};
pub use report::{Applied, Repair, Report};

/// Items that generated code uses; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::code::{call, Code, CodeFuture, Entry, MigrationConnection, MigrationOutcome};
    pub use crate::migration::{Migration, Migrations, Script};
    pub use crate::statements::Dialect;
}
