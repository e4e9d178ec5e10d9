//! Applying what is pending: a migration to resume first, then each pending migration as
//! a whole script, a Rust function, or statement by statement with its progress recorded.

use std::time::{Duration, Instant};

use super::prefix::PrefixChecksum;
use super::steps::{self, Stopped};
use super::{code_error, function_for, Migrator, Progress};
use crate::code::Code;
use crate::driver::{Driver, Outcome, Step, DURATION_SLOT};
use crate::history::AppliedMigration;
use crate::location::migration_error;
use crate::lock::Guard;
use crate::migration::Migration;
use crate::plan;
use crate::report::Report;
use crate::Error;

impl Migrator {
    /// Applies pending migrations up to and including `target`, like [`Migrator::run`]
    /// otherwise.
    ///
    /// # Errors
    /// As [`Migrator::run`]; [`Error::UnknownTarget`] for a migration of another set.
    pub async fn run_to<P: crate::Pool>(
        &self,
        pool: &P,
        target: &'static Migration,
    ) -> Result<Report, Error> {
        let to = self.version_of(target)?;
        self.execute(pool, super::Op::Up { to: Some(to) }).await
    }

    /// Applies what is pending (up to and including version `to`), resuming an unfinished
    /// migration first. Called under the lock, after the history table exists.
    pub(super) async fn apply_up(
        &self,
        driver: &mut dyn Driver,
        guard: &Guard,
        history: &[AppliedMigration],
        to: Option<i64>,
    ) -> Result<Report, Error> {
        let plan = plan::plan(self.migrations, history, self.policy)?.up_to(to);
        let database = driver.sql().backend;
        for migration in plan
            .resume
            .iter()
            .map(|r| r.migration)
            .chain(plan.pending.iter().copied())
        {
            function_for(migration, migration.up(), database)?;
        }
        let mut report = Report::default();
        if let Some(resume) = &plan.resume {
            let migration = resume.migration;
            tracing::info!(
                version = migration.version(),
                statements_applied = resume.row.statements_applied,
                "resuming an unfinished migration"
            );
            let duration = match self
                .apply_stepwise(driver, guard, migration, Some(&resume.row))
                .await
            {
                Ok(duration) => duration,
                Err(error) => return Err(guard.confirm(driver, &self.table, error).await),
            };
            self.applied(&mut report, migration, duration);
        }
        let last = plan.pending.last().map(|m| m.version());
        for migration in plan.pending {
            guard.check(&self.table)?;
            tracing::info!(
                version = migration.version(),
                name = migration.name(),
                "applying migration"
            );
            self.notify(Progress::Applying {
                version: migration.version(),
                name: migration.name(),
            });
            let durable = Some(migration.version()) == last;
            let outcome = self.apply_one(driver, guard, migration, durable).await;
            match outcome {
                Ok(Outcome::Applied(duration)) => self.applied(&mut report, migration, duration),
                Ok(Outcome::AlreadyApplied) => {
                    tracing::debug!(
                        version = migration.version(),
                        "applied by another runner meanwhile"
                    );
                }
                Err(error) => {
                    let error = guard.confirm(driver, &self.table, error).await;
                    tracing::error!(version = migration.version(), %error, "migration failed");
                    return Err(error);
                }
            }
        }
        Ok(report)
    }

    fn applied(&self, report: &mut Report, migration: &'static Migration, duration: Duration) {
        report.push(migration, duration);
        self.notify(Progress::Applied {
            version: migration.version(),
            name: migration.name(),
            duration,
        });
    }

    /// Applies one pending migration, the way its kind and the database call for: a Rust
    /// function, a whole script in one transaction, or statement by statement.
    async fn apply_one(
        &self,
        driver: &mut dyn Driver,
        guard: &Guard,
        migration: &'static Migration,
        durable: bool,
    ) -> Result<Outcome, Error> {
        let sql = driver.sql();
        if let Some(code) = function_for(migration, migration.up(), sql.backend)? {
            return self.apply_code(driver, guard, migration, code).await;
        }
        let record = guard.fenced(sql.insert_row(&self.table, migration, true, DURATION_SLOT));
        if !migration.up().no_transaction() {
            if let Some(whole) = driver.whole_scripts() {
                return whole
                    .apply_whole(&self.table, migration, record, durable)
                    .await;
            }
        }
        self.apply_stepwise(driver, guard, migration, None)
            .await
            .map(Outcome::Applied)
    }

    /// Applies a migration written in Rust: its `up` function and its history row, in one
    /// transaction.
    async fn apply_code(
        &self,
        driver: &mut dyn Driver,
        guard: &Guard,
        migration: &'static Migration,
        code: &'static Code,
    ) -> Result<Outcome, Error> {
        let sql = driver.sql();
        let record = guard.fenced(sql.insert_row(&self.table, migration, true, DURATION_SLOT));
        // Under a lease, the server ends the session of a runner that stalls inside the
        // function's transaction, and with it the locks it holds.
        let recheck = format!(
            "{}{}",
            guard.bounded_idle(sql),
            sql.find(&self.table, migration.version())
        );
        match driver.run_code(code, Some(recheck), record).await {
            Ok(Some(duration)) => Ok(Outcome::Applied(duration)),
            Ok(None) => Ok(Outcome::AlreadyApplied),
            Err(error) => Err(code_error(migration.version(), migration.up(), code, error)),
        }
    }

    /// Runs a migration one statement at a time, recording after each statement how many are
    /// done, so that a failure or a crash leaves a row that says exactly where it stopped.
    /// With `resume`, the statements recorded as applied are skipped, after checking that
    /// they are unchanged in the file.
    async fn apply_stepwise(
        &self,
        driver: &mut dyn Driver,
        guard: &Guard,
        migration: &'static Migration,
        resume: Option<&AppliedMigration>,
    ) -> Result<Duration, Error> {
        let table = &self.table;
        let script = migration.up();
        if script.is_rust() {
            // Rust migrations run in one transaction and never leave an unfinished row; this
            // one was recorded as unfinished while it was an SQL file.
            return Err(Error::Dirty {
                version: migration.version(),
                file: script.file().to_owned(),
                statements_applied: resume.map_or(0, |row| row.statements_applied),
                message: "it was recorded as unfinished while it was an SQL migration, and is now written in Rust; \
                          finish or undo the SQL statements by hand, then run `repair`"
                    .to_owned(),
            });
        }
        let sql = driver.sql();
        let file = script.sql();
        let version = migration.version();
        let skip = match resume {
            None => {
                let insert = guard.fenced(sql.insert_row(table, migration, false, "0"));
                driver
                    .step(Step::Start { insert })
                    .await
                    .map_err(|e| e.during("recording the start of a migration"))?;
                0
            }
            Some(row) => {
                let done = row.statements_applied;
                let unchanged = PrefixChecksum::still_applied(
                    file,
                    sql.dialect,
                    done,
                    row.progress_checksum.as_deref(),
                );
                if !unchanged {
                    return Err(Error::Dirty {
                        version,
                        file: script.file().to_owned(),
                        statements_applied: done,
                        message: format!(
                            "{done} statement(s) were applied, but the file's first {done} statement(s) are no longer those; \
                             restore them as they were (change only the failing statement and what follows), \
                             or undo the applied statements by hand and delete the row of version {version} from the history table"
                        ),
                    });
                }
                driver
                    .execute(guard.fenced(sql.record_error(table, version, None)))
                    .await
                    .map_err(Error::db("recording a migration's error"))?;
                done
            }
        };
        let started = Instant::now();
        let run = steps::run(
            driver,
            guard,
            table,
            steps::Script {
                version,
                sql: file,
                skip,
                finish: sql.complete(table, migration, DURATION_SLOT),
                context: "recording a migration's progress in the history table",
            },
        )
        .await;
        let failure = match run {
            Ok(()) => return Ok(started.elapsed()),
            Err(Stopped::Error(error)) => return Err(error),
            Err(Stopped::Statement(failure)) => failure,
        };
        let mut error = migration_error(
            migration,
            script,
            failure.error,
            false,
            Some(failure.location),
        );
        // Resuming after a runner died, the first statement may have completed before its
        // progress was recorded (MySQL commits DDL on its own).
        if resume.is_some_and(|row| row.error.is_none()) && failure.first {
            if let Error::Migration { message, .. } = &mut error {
                message.push_str(
                    " (the previous runner died right after this statement, which may have \
                     completed before its progress was recorded: make it idempotent, e.g. \
                     IF NOT EXISTS, and run again to resume at it)",
                );
            }
        }
        Err(error)
    }
}
