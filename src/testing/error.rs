//! Why a test database could not be set up.
//!
//! The errors of `migrate::testing` end up in test panics (`unwrap()`, `panic!("{error}")`),
//! where only the message is printed: so a variant's underlying error is part of its message
//! and not returned by `source()` as well (a chain printer such as anyhow's `{:#}` would show it
//! twice). The field holding it is `error`, not `source`, which thiserror would take for one.

use std::time::Duration;

/// Why a [`TestDatabase`](super::TestDatabase) could not be created or dropped, or a schema
/// could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestError {
    /// The server could not be reached with the admin URL (not running, wrong address or
    /// credentials). Tests usually skip on this error locally and fail in CI.
    #[error("cannot connect to the {backend} server at {url} (set {variable}): {error}")]
    Unreachable {
        /// `PostgreSQL` or `MySQL`.
        backend: &'static str,
        /// The admin URL, its password hidden.
        url: String,
        /// The environment variable that sets it.
        variable: &'static str,
        /// The underlying error (in the message).
        error: sqlx::Error,
    },

    /// A statement of the setup or clean-up failed.
    #[error("database error while {context}: {error}")]
    Database {
        /// What was being done.
        context: String,
        /// The underlying error (in the message).
        error: sqlx::Error,
    },

    /// Applying the migrations to the new database (or to its template) failed.
    #[error("migrating the test database failed: {0}")]
    Migrate(crate::Error),

    /// A file operation for a SQLite database failed.
    #[error("I/O error while {context}: {error}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error (in the message).
        error: std::io::Error,
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

impl From<crate::Error> for TestError {
    fn from(error: crate::Error) -> Self {
        TestError::Migrate(error)
    }
}

impl TestError {
    /// Whether the server could not be reached at all: the usual reason to skip a test
    /// outside CI.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, TestError::Unreachable { .. })
    }

    pub(crate) fn db(context: impl Into<String>) -> impl FnOnce(sqlx::Error) -> TestError {
        let context = context.into();
        move |error| TestError::Database { context, error }
    }

    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> TestError {
        let context = context.into();
        move |error| TestError::Io { context, error }
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error as StdError;

    use super::TestError;
    use crate::testing::ReversibilityError;

    /// `error`'s message and those of its sources, as anyhow's `{:#}` prints them; panics when
    /// a source's message is already in the text before it.
    fn assert_chain_says_each_once(error: &(dyn StdError + 'static)) {
        let mut printed = error.to_string();
        let mut source = error.source();
        while let Some(next) = source {
            let text = next.to_string();
            assert!(
                !printed.contains(&text),
                "the source `{text}` is printed twice in `{printed}: {text}`"
            );
            printed = format!("{printed}: {text}");
            source = next.source();
        }
    }

    /// A migrator error without a source of its own.
    fn migrator_error() -> crate::Error {
        static NONE: crate::Migrations = crate::__private::Migrations::new("", "", &[]);
        crate::Migrator::new(&NONE)
            .history_table("not a table name!")
            .expect_err("an invalid name")
    }

    #[test]
    fn each_cause_is_printed_once() {
        let errors: Vec<Box<dyn StdError + 'static>> = vec![
            Box::new(TestError::Unreachable {
                backend: "PostgreSQL",
                url: "postgres://u:***@h/db".to_owned(),
                variable: "MIGRATE_TEST_POSTGRES_URL",
                error: sqlx::Error::PoolTimedOut,
            }),
            Box::new(TestError::db("creating a database")(
                sqlx::Error::PoolTimedOut,
            )),
            Box::new(TestError::io("removing a file")(std::io::Error::other(
                "disk on fire",
            ))),
            Box::new(TestError::from(migrator_error())),
            Box::new(ReversibilityError::DownFailed {
                version: 3,
                file: "0003_x.down.sql".to_owned(),
                error: migrator_error(),
            }),
            Box::new(ReversibilityError::Setup(migrator_error())),
            Box::new(ReversibilityError::Snapshot(TestError::db(
                "reading the schema",
            )(
                sqlx::Error::PoolTimedOut
            ))),
        ];
        for error in &errors {
            // The cause is in the message itself, where a test's panic shows it.
            assert!(
                error.to_string().contains("pool timed out")
                    || error.to_string().contains("disk on fire")
                    || error.to_string().contains("not a table name!"),
                "{error}"
            );
            assert_chain_says_each_once(error.as_ref());
        }
    }
}
