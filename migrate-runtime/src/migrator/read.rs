//! Reading the history table, also one created by an earlier version, which lacks the column
//! that records unfinished reverts (`revert_checksum`): a read-only operation reads such a
//! table as it is (no revert of it can be unfinished), and an operation under the lock adds
//! the column first, once. A table that has the column costs nothing more than one read.

use super::Migrator;
use crate::driver::Driver;
use crate::history::AppliedMigration;
use crate::Error;

/// Whether reading the history may change the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Access {
    /// Without the lock: read a table of an earlier version as it is.
    ReadOnly,
    /// Under the lock: add the missing column to a table of an earlier version.
    Locked,
}

impl Migrator {
    /// The history, oldest first; `None` when the table does not exist yet.
    pub(super) async fn read_history(
        &self,
        driver: &mut dyn Driver,
        access: Access,
    ) -> Result<Option<Vec<AppliedMigration>>, Error> {
        let sql = driver.sql();
        let missing = match driver.read_history(sql.select_history(&self.table)).await {
            Err(Error::Database { error, .. }) if (sql.is_missing_column)(&error) => error,
            other => return other,
        };
        if access == Access::ReadOnly {
            return driver
                .read_history(sql.select_earlier_history(&self.table))
                .await;
        }
        tracing::info!(
            table = %self.table,
            error = %missing,
            "adding the column of unfinished reverts to a history table of an earlier version"
        );
        let added = driver.execute(sql.add_revert_column(&self.table)).await;
        let read = driver.read_history(sql.select_history(&self.table)).await;
        match (read, added) {
            // Another runner may have added it meanwhile (`LockMode::None`): only a read
            // that still fails makes the failed ALTER the error.
            (Err(_), Err(error)) => Err(Error::db(
                "adding a column to the history table of an earlier version",
            )(error)),
            (read, _) => read,
        }
    }
}
