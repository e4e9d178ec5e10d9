//! Retrying a migration, or a revert, that failed because of its environment rather than
//! its file: the operator fixed the environment (a server setting, a missing row, a
//! privilege), and the failed statement runs again as it is, under the lock, with the
//! retry written to the audit trail.

use super::revert::Down;
use super::Migrator;
use crate::driver::Driver;
use crate::history::{AppliedMigration, Direction};
use crate::lock::Guard;
use crate::migration::Migration;
use crate::plan::{self, Policy};
use crate::report::Report;
use crate::Error;

impl Migrator {
    /// Resumes the unfinished migration `target` at its failed statement although its file
    /// is unchanged: for a failure caused by the environment, not by the file (MySQL's
    /// `FOREIGN_KEY_CHECKS`, a row or privilege that was missing, a lock wait that timed
    /// out), once that is fixed. Without it, an unchanged file that failed is refused
    /// ([`Error::Dirty`]) until the failing statement is edited.
    ///
    /// Under the lock, the recorded error is cleared (and written to the audit trail with
    /// the statement it belonged to), the statements already applied are checked to be
    /// unchanged, and the failed statement and the rest of the file run. For an unfinished
    /// revert ([`State::UnfinishedRevert`](crate::State::UnfinishedRevert)), the rest of its
    /// down script runs and the revert finishes. Nothing else is applied or reverted. A
    /// `target` that is not unfinished is left alone: the report is empty.
    ///
    /// # Errors
    /// As [`Migrator::run`] and [`Migrator::revert_steps`]: a statement that fails again
    /// stops it with [`Error::Migration`] and is recorded again.
    pub async fn retry<P: crate::Pool>(
        &self,
        pool: &P,
        target: &'static Migration,
    ) -> Result<Report, Error> {
        let version = self.version_of(target)?;
        self.execute(pool, super::Op::Retry(version)).await
    }

    pub(super) async fn retry_locked(
        &self,
        driver: &mut dyn Driver,
        guard: &Guard,
        history: &[AppliedMigration],
        version: i64,
    ) -> Result<Report, Error> {
        let Some(row) = history
            .iter()
            .find(|row| row.version == version && !row.success)
        else {
            return Ok(Report::default());
        };
        let retrying = Migrator {
            policy: Policy {
                retry: Some(version),
                ..self.policy
            },
            ..self.clone()
        };
        // Everything that would refuse the retry is checked before it is audited.
        let (what, file, reverts) = match row.direction() {
            Direction::Up => {
                plan::plan(self.migrations, history, retrying.policy)?;
                ("migration", self.file_of(row), None)
            }
            Direction::Down => {
                let reverts = retrying.reverts(driver, history, Down::Steps(1)).await?;
                let file = reverts.first().map_or_else(
                    || plan::down_file(self.migrations, version),
                    |r| r.file.clone(),
                );
                ("revert", file, Some(reverts))
            }
        };
        let detail = format!(
            "retrying the {what} at statement {} of the unchanged `{file}`{}",
            row.statements_applied + 1,
            row.error
                .as_deref()
                .map(|error| format!("; cleared its error: {error}"))
                .unwrap_or_default()
        );
        self.audit(driver, "retry", Some(version), &detail).await?;
        tracing::info!(version, file = %file, "retrying an unfinished {what}");
        match reverts {
            None => {
                retrying
                    .apply_up(driver, guard, history, Some(version))
                    .await
            }
            Some(reverts) => retrying.run_reverts(driver, guard, reverts).await,
        }
    }
}
