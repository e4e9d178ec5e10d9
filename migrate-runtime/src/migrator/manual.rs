//! What an operator does by hand, each change written to the audit trail
//! (`<history table>_audit`): mark migrations applied or reverted without running them, and
//! repair the history after a deliberate edit or a failure fixed by hand.

use super::{Migrator, Op};
use crate::driver::Driver;
use crate::history::{AppliedMigration, Direction};
use crate::lock::Guard;
use crate::migration::{hex, Migration};
use crate::plan::{self, Policy};
use crate::report::{Repair, Report};
use crate::Error;

impl Migrator {
    /// Records every pending migration up to and including `target` as applied, without
    /// running it: to adopt a database whose schema is already there (a baseline), or after
    /// applying a migration by hand.
    pub async fn mark_applied<P: crate::Pool>(
        &self,
        pool: &P,
        target: &'static Migration,
    ) -> Result<Report, Error> {
        let to = self.version_of(target)?;
        self.execute(pool, Op::MarkApplied(to)).await
    }

    /// Deletes the records of `target` and of every migration applied after it, without
    /// running any down script: after reverting by hand.
    pub async fn mark_reverted<P: crate::Pool>(
        &self,
        pool: &P,
        target: &'static Migration,
    ) -> Result<Report, Error> {
        let to = self.version_of(target)?;
        self.execute(pool, Op::MarkReverted(to)).await
    }

    /// Accepts the current checksums of applied migrations whose files were deliberately
    /// edited, and deletes the rows of unfinished migrations and unfinished reverts after
    /// they were finished or undone by hand (apply the rest with [`Migrator::run`], or
    /// record it with [`Migrator::mark_applied`]). Each change is written to the audit trail.
    ///
    /// Deleting a row undoes nothing: the statements the unfinished migration (or revert)
    /// applied stay applied, and each [`Repair::RemovedUnfinished`] of the report says which
    /// (its `Display` in a sentence). Undo or finish them by hand. To resume instead, fix the
    /// failing statement and run again, or, when the failure came from the environment and
    /// not from the file, fix that and use [`Migrator::retry`], before repairing.
    pub async fn repair<P: crate::Pool>(&self, pool: &P) -> Result<Report, Error> {
        self.execute(pool, Op::Repair).await
    }

    /// Appends to the audit trail what an operator did by hand.
    pub(super) async fn audit(
        &self,
        driver: &mut dyn Driver,
        action: &str,
        version: Option<i64>,
        detail: &str,
    ) -> Result<(), Error> {
        let [create, insert] = driver.sql().audit(&self.table, action, version, detail);
        driver
            .execute(create)
            .await
            .map_err(Error::db("creating the audit table"))?;
        driver
            .execute(insert)
            .await
            .map_err(Error::db("writing the audit trail"))?;
        Ok(())
    }

    /// Runs a bookkeeping statement of a manual operation.
    async fn change(
        &self,
        driver: &mut dyn Driver,
        guard: &Guard,
        sql: String,
        context: &'static str,
    ) -> Result<(), Error> {
        if let Err(error) = driver.execute(guard.fenced(sql)).await {
            return Err(guard
                .confirm(driver, &self.table, Error::db(context)(error))
                .await);
        }
        Ok(())
    }

    pub(super) async fn mark_applied_locked(
        &self,
        driver: &mut dyn Driver,
        guard: &Guard,
        history: &[AppliedMigration],
        to: i64,
    ) -> Result<Report, Error> {
        // Marking is deliberate: pending migrations below applied ones may be marked too.
        let policy = Policy {
            allow_out_of_order: true,
            ..self.policy
        };
        let plan = plan::plan(self.migrations, history, policy)?;
        let mut report = Report::default();
        for migration in plan.pending.into_iter().filter(|m| m.version() <= to) {
            let insert = driver.sql().insert_row(&self.table, migration, true, "0");
            self.change(driver, guard, insert, "recording a migration as applied")
                .await?;
            self.audit(
                driver,
                "mark-applied",
                Some(migration.version()),
                migration.up().file(),
            )
            .await?;
            report.marked_applied.push(migration.version());
        }
        Ok(report)
    }

    pub(super) async fn mark_reverted_locked(
        &self,
        driver: &mut dyn Driver,
        guard: &Guard,
        history: &[AppliedMigration],
        from: i64,
    ) -> Result<Report, Error> {
        let mut report = Report::default();
        let mut rows: Vec<&AppliedMigration> =
            history.iter().filter(|row| row.version >= from).collect();
        rows.sort_by_key(|row| std::cmp::Reverse(row.version));
        for row in rows {
            let delete = driver.sql().delete(&self.table, row.version);
            self.change(driver, guard, delete, "deleting a history row")
                .await?;
            self.audit(driver, "mark-reverted", Some(row.version), &row.name)
                .await?;
            report.marked_reverted.push(row.version);
        }
        Ok(report)
    }

    pub(super) async fn repair_locked(
        &self,
        driver: &mut dyn Driver,
        guard: &Guard,
        history: &[AppliedMigration],
    ) -> Result<Report, Error> {
        let mut report = Report::default();
        for row in history {
            if !row.success {
                let repair = Repair::RemovedUnfinished {
                    version: row.version,
                    direction: row.direction(),
                    file: match row.direction() {
                        Direction::Up => self.file_of(row),
                        Direction::Down => plan::down_file(self.migrations, row.version),
                    },
                    statements_applied: row.statements_applied,
                };
                let detail = format!(
                    "{repair}{}",
                    row.error
                        .as_deref()
                        .map(|e| format!("; its error was: {e}"))
                        .unwrap_or_default()
                );
                let delete = driver.sql().delete(&self.table, row.version);
                self.change(driver, guard, delete, "deleting a history row")
                    .await?;
                self.audit(driver, "repair", Some(row.version), &detail)
                    .await?;
                report.repaired.push(repair);
                continue;
            }
            let Some(migration) = self.migrations.get(row.version) else {
                continue;
            };
            if migration.checksum()[..] != row.checksum[..] {
                let detail = format!(
                    "accepted the checksum of the edited `{}`: {} -> {}",
                    migration.up().file(),
                    hex(&row.checksum),
                    hex(migration.checksum())
                );
                let update =
                    driver
                        .sql()
                        .set_checksum(&self.table, row.version, migration.checksum());
                self.change(driver, guard, update, "updating a checksum")
                    .await?;
                self.audit(driver, "repair", Some(row.version), &detail)
                    .await?;
                report.repaired.push(Repair::AcceptedChecksum {
                    version: row.version,
                });
            }
        }
        Ok(report)
    }
}
