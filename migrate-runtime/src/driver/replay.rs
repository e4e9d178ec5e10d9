//! Finding the statement of a script that failed as a whole, where the database did not say
//! where: replay it one statement at a time in a transaction that is always rolled back.
//!
//! A script runs as one batch (so that splitting can never change what runs, and in one round
//! trip). SQLite never reports which statement of a batch failed; PostgreSQL reports a
//! position for some errors only (not for a missing relation in `CREATE INDEX … ON x`,
//! "already exists", a unique violation, a statement that refuses to run in a transaction).
//! After the batch was rolled back, the replay runs the statements until one fails the same
//! way, and locates it.

use super::Driver;
use crate::error::Location;
use crate::location::locate_in_statement;
use crate::statements::{self, ends_transaction};

/// Where `sql`, which failed as a whole with `error` and was rolled back, failed: the first
/// statement that fails again with the same error code when the script is replayed one
/// statement at a time (with the position the database reports in it, if any).
///
/// `None` when the error is not the database's (a lost connection), when the replay does
/// not fail the same way (a transient error: a serialization failure, a deadlock, a lock
/// timeout), or when it reaches a statement that would end its transaction (`COMMIT`)
/// before one fails.
pub(crate) async fn locate_by_replay(
    driver: &mut dyn Driver,
    sql: &str,
    error: &sqlx::Error,
) -> Option<Location> {
    let sqlx::Error::Database(original) = error else {
        return None;
    };
    let code = original.code();
    let facts = driver.sql();
    tracing::info!(
        "the database did not say which statement failed: replaying the script statement by \
         statement, in a transaction that is rolled back, to find it"
    );
    if let Err(error) = driver.execute("BEGIN".to_owned()).await {
        tracing::debug!(%error, "could not replay a failed script");
        return None;
    }
    let mut found = None;
    for statement in statements::split(sql, facts.dialect) {
        if ends_transaction(statement.sql) {
            break;
        }
        let Err(replayed) = driver.execute(statement.sql.to_owned()).await else {
            continue;
        };
        let same = matches!(&replayed, sqlx::Error::Database(db) if db.code() == code);
        if same {
            found = Some(locate_in_statement(
                sql,
                facts.dialect,
                statement.sql,
                statement.offset,
                (facts.error_position)(&replayed),
            ));
        }
        break;
    }
    if let Err(error) = driver.execute("ROLLBACK".to_owned()).await {
        tracing::warn!(%error, "rolling back the replay of a failed script failed");
    }
    found
}
