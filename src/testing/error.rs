//! Why a test database could not be set up.

use std::time::Duration;

/// Why a [`TestDatabase`](super::TestDatabase) could not be created or dropped, or a schema
/// could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestError {
    /// The server could not be reached with the admin URL (not running, wrong address or
    /// credentials). Tests usually skip on this error locally and fail in CI.
    #[error("cannot connect to the {backend} server at {url} (set {variable}): {source}")]
    Unreachable {
        /// `PostgreSQL` or `MySQL`.
        backend: &'static str,
        /// The admin URL, its password hidden.
        url: String,
        /// The environment variable that sets it.
        variable: &'static str,
        /// The underlying error.
        #[source]
        source: sqlx::Error,
    },

    /// A statement of the setup or clean-up failed.
    #[error("database error while {context}: {source}")]
    Database {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: sqlx::Error,
    },

    /// Applying the migrations to the new database (or to its template) failed.
    #[error("migrating the test database failed: {0}")]
    Migrate(#[from] crate::Error),

    /// A file operation for a SQLite database failed.
    #[error("I/O error while {context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// Another process held the lock on building a PostgreSQL template for too long.
    #[error("timed out after {waited:?} waiting for another process to build the template database `{template}`")]
    TemplateLockTimeout {
        /// The template that was being built.
        template: String,
        /// How long this process waited.
        waited: Duration,
    },
}

impl TestError {
    /// Whether the server could not be reached at all: the usual reason to skip a test
    /// outside CI.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, TestError::Unreachable { .. })
    }

    pub(crate) fn db(context: impl Into<String>) -> impl FnOnce(sqlx::Error) -> TestError {
        let context = context.into();
        move |source| TestError::Database { context, source }
    }

    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> TestError {
        let context = context.into();
        move |source| TestError::Io { context, source }
    }
}
