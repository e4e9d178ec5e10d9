//! Migrations written in Rust: a `.rs` file in the migrations directory whose
//! `#[migrate::up]` (and optionally `#[migrate::down]`) async function receives the
//! migration's transaction.
//!
//! The attribute macros turn each function into a [`Code`]: a type-erased entry point that
//! takes the connection as `&mut dyn Any` and checks it is the connection type the function
//! was written for. The migrator checks that type against the database before anything runs
//! ([`Error::WrongBackend`](crate::Error::WrongBackend)).

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

/// The error a Rust migration returns: anything that converts into a boxed error, such as
/// `sqlx::Error`, `std::io::Error`, `String`, or `anyhow::Error`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The future of a Rust migration's function, type-erased.
#[doc(hidden)]
pub type CodeFuture<'c> = Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send + 'c>>;

/// A database a Rust migration can be written for: the connection type its function takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Backend {
    /// PostgreSQL: the function takes `&mut sqlx::PgConnection`.
    Postgres,
    /// MySQL or MariaDB: the function takes `&mut sqlx::MySqlConnection`.
    MySql,
    /// SQLite: the function takes `&mut sqlx::SqliteConnection`.
    Sqlite,
}

impl Backend {
    /// The sqlx connection type a function for this database takes.
    pub fn connection_type(self) -> &'static str {
        match self {
            Backend::Postgres => "sqlx::PgConnection",
            Backend::MySql => "sqlx::MySqlConnection",
            Backend::Sqlite => "sqlx::SqliteConnection",
        }
    }
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Postgres => "PostgreSQL",
            Backend::MySql => "MySQL/MariaDB",
            Backend::Sqlite => "SQLite",
        })
    }
}

/// The entry point the attribute macros generate: with a connection, the function's future;
/// without one, only the database the function is written for.
#[doc(hidden)]
pub type Entry = for<'c> fn(Option<&'c mut (dyn Any + Send)>) -> (Backend, Option<CodeFuture<'c>>);

/// The function of a Rust migration (its `up` or its `down`, for one database), as the
/// attribute macros generate it.
pub struct Code {
    name: &'static str,
    entry: Entry,
}

impl Code {
    #[doc(hidden)]
    pub const fn new(name: &'static str, entry: Entry) -> Self {
        Code { name, entry }
    }

    /// The function's name in its file, e.g. `up` or `up_postgres`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The database the function is written for.
    pub fn backend(&self) -> Backend {
        (self.entry)(None).0
    }

    /// Runs the function on `connection`, which must be the backend's sqlx connection type.
    pub(crate) fn run<'c>(&self, connection: &'c mut (dyn Any + Send)) -> CodeFuture<'c> {
        match (self.entry)(Some(connection)) {
            (_, Some(future)) => future,
            (backend, None) => Box::pin(async move {
                Err(format!(
                    "this migration function is written for {backend} (`{}`), not for this database",
                    backend.connection_type()
                )
                .into())
            }),
        }
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Code")
            .field("name", &self.name)
            .field("backend", &self.backend())
            .finish_non_exhaustive()
    }
}

/// A connection type that a Rust migration's function can take.
#[diagnostic::on_unimplemented(
    message = "a migration function takes the database's sqlx connection, not `&mut {Self}`",
    label = "this function's argument must be `&mut sqlx::PgConnection`, `&mut sqlx::MySqlConnection` or `&mut sqlx::SqliteConnection`",
    note = "the migrator passes the connection of the migration's transaction; the cargo feature of that database must be enabled on `migrate`"
)]
pub trait MigrationConnection: Any + Send {
    /// The database of this connection type.
    const BACKEND: Backend;
}

#[cfg(feature = "postgres")]
impl MigrationConnection for sqlx::PgConnection {
    const BACKEND: Backend = Backend::Postgres;
}

#[cfg(feature = "mysql")]
impl MigrationConnection for sqlx::MySqlConnection {
    const BACKEND: Backend = Backend::MySql;
}

#[cfg(feature = "sqlite")]
impl MigrationConnection for sqlx::SqliteConnection {
    const BACKEND: Backend = Backend::Sqlite;
}

/// What a migration function returns: `Result<(), E>` for an error type that converts
/// into [`BoxError`].
#[diagnostic::on_unimplemented(
    message = "a migration function must return `Result<(), E>`, not `{Self}`",
    label = "return `Result<(), E>` where `E` is an error type such as `sqlx::Error` or `Box<dyn std::error::Error + Send + Sync>`"
)]
pub trait MigrationOutcome {
    /// The result, with the error boxed.
    fn into_result(self) -> Result<(), BoxError>;
}

impl<E: Into<BoxError>> MigrationOutcome for Result<(), E> {
    fn into_result(self) -> Result<(), BoxError> {
        self.map_err(Into::into)
    }
}

/// The body of an [`Entry`], generated by `#[migrate::up]` and `#[migrate::down]`: the
/// database `function` is written for and, given a connection of that database, the future
/// of `function` called with it.
#[doc(hidden)]
pub fn call<'c, C, F, Fut>(
    connection: Option<&'c mut (dyn Any + Send)>,
    function: F,
) -> (Backend, Option<CodeFuture<'c>>)
where
    C: MigrationConnection,
    F: FnOnce(&'c mut C) -> Fut,
    Fut: Future + Send + 'c,
    Fut::Output: MigrationOutcome,
{
    let future = connection
        .and_then(|connection| {
            let any: &'c mut dyn Any = connection;
            any.downcast_mut::<C>()
        })
        .map(|connection| -> CodeFuture<'c> {
            let future = function(connection);
            Box::pin(async move { future.await.into_result() })
        });
    (C::BACKEND, future)
}
