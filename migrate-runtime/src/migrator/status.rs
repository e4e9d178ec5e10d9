//! The read-only operations: the status of every migration, and the plan of what an
//! operation would do. Neither takes the lock.

use std::time::Duration;

use super::read::Access;
use super::revert::Down;
use super::Migrator;
use crate::code::Backend;
use crate::driver::{BoxFuture, Driver, Pool};
use crate::history::{AppliedMigration, Direction};
use crate::migration::{Migration, Script};
use crate::plan;
use crate::statements;
use crate::Error;

/// The state of one migration, known to the binary, the database, or both.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum State {
    /// Applied, and the file is as it was.
    Applied,
    /// In the binary, not applied.
    Pending,
    /// Applied, but the file changed since.
    Edited,
    /// Applied, but this binary does not contain it.
    MissingFromBinary,
    /// Started and not finished: its runner died, or a statement failed (`error`).
    Unfinished {
        /// Statements applied so far.
        statements_applied: usize,
        /// The failing statement's error, if one was recorded.
        error: Option<String>,
    },
    /// Applied, then a revert that runs statement by statement started and did not finish:
    /// its runner died, or a statement of the down script failed (`error`). Half reverted:
    /// `down` resumes the revert; nothing else runs until it is finished.
    UnfinishedRevert {
        /// The down file (or where the down script comes from).
        file: String,
        /// Statements of the down script applied so far.
        statements_applied: usize,
        /// How many statements the down script has, when it is SQL.
        statements: Option<usize>,
        /// The failing statement's error, if one was recorded.
        error: Option<String>,
    },
}

/// One line of [`Migrator::status`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MigrationStatus {
    /// The version.
    pub version: i64,
    /// The description (from the binary, else from the history).
    pub name: String,
    /// Where it stands.
    pub state: State,
    /// When it was applied, if it was: RFC 3339 in UTC, to the microsecond, on every
    /// database (`2026-12-02T06:35:25.123456Z`; SQLite records milliseconds).
    pub applied_at: Option<String>,
    /// How long it took, if it was applied.
    pub duration: Option<Duration>,
    /// Whether it can be reverted: a down file in the binary, or a down script recorded
    /// when it was applied.
    pub reversible: bool,
}

/// What an operation would do, from [`Migrator::plan`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// Apply pending migrations, up to and including `to` (all when `None`).
    Up {
        /// The last version to apply.
        to: Option<i64>,
    },
    /// Revert applied migrations, newest first.
    Down(Down),
}

/// One step of a [`Migrator::plan`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PlannedStep {
    /// Apply (`true`) or revert (`false`).
    pub up: bool,
    /// The version.
    pub version: i64,
    /// The description.
    pub name: String,
    /// The file the SQL comes from, or `(recorded in the history)` for a down script this
    /// binary does not have.
    pub file: String,
    /// The SQL that would run.
    pub sql: String,
    /// Whether it would resume an unfinished migration (or revert) after its applied
    /// statements, and after how many.
    pub resumes_after: Option<usize>,
}

/// What [`Migrator::applied_details`] reads of each row.
struct Details {
    version: i64,
    applied_at: Option<String>,
    micros: i64,
    recorded_down: bool,
}

impl Migrator {
    /// Every migration known to the binary or the database, in version order, with its
    /// state. Reads only; takes no lock.
    pub async fn status<P: Pool>(&self, pool: &P) -> Result<Vec<MigrationStatus>, Error> {
        self.status_of(pool).await
    }

    /// [`Migrator::status`], compiled once.
    fn status_of<'a>(
        &'a self,
        pool: &'a dyn Pool,
    ) -> BoxFuture<'a, Result<Vec<MigrationStatus>, Error>> {
        Box::pin(async move {
            let mut driver = pool.driver().await?;
            let result = self.status_on(driver.as_mut()).await;
            driver.finish(false).await;
            result
        })
    }

    /// What `operation` would do, in order, with the SQL, without changing anything. Reads
    /// only; takes no lock, so another runner may act before the operation runs.
    ///
    /// # Errors
    /// The errors the operation itself would stop with before doing anything: drift,
    /// [`Error::Irreversible`], [`Error::Dirty`], [`Error::RevertUnfinished`].
    pub async fn plan<P: Pool>(
        &self,
        pool: &P,
        operation: Operation,
    ) -> Result<Vec<PlannedStep>, Error> {
        self.plan_of(pool, operation).await
    }

    /// [`Migrator::plan`], compiled once.
    fn plan_of<'a>(
        &'a self,
        pool: &'a dyn Pool,
        operation: Operation,
    ) -> BoxFuture<'a, Result<Vec<PlannedStep>, Error>> {
        Box::pin(async move {
            let mut driver = pool.driver().await?;
            let result = self.plan_on(driver.as_mut(), operation).await;
            driver.finish(false).await;
            result
        })
    }

    async fn status_on(&self, driver: &mut dyn Driver) -> Result<Vec<MigrationStatus>, Error> {
        let Some(history) = self.read_history(driver, Access::ReadOnly).await? else {
            return Ok(self.migrations.iter().map(pending_status).collect());
        };
        let details = self.applied_details(driver).await?;
        let mut lines: Vec<MigrationStatus> = Vec::new();
        for row in &history {
            let migration = self.migrations.get(row.version);
            let state = match migration {
                _ if row.direction() == Direction::Down => {
                    self.unfinished_revert_state(driver, row).await?
                }
                _ if !row.success => State::Unfinished {
                    statements_applied: row.statements_applied,
                    error: row.error.clone(),
                },
                None => State::MissingFromBinary,
                Some(m) if m.checksum()[..] != row.checksum[..] => State::Edited,
                Some(_) => State::Applied,
            };
            let detail = details.iter().find(|d| d.version == row.version);
            lines.push(MigrationStatus {
                version: row.version,
                name: migration.map_or_else(|| row.name.clone(), |m| m.name().to_owned()),
                state,
                applied_at: detail
                    .filter(|_| row.success)
                    .and_then(|d| d.applied_at.clone()),
                duration: detail
                    .filter(|_| row.success)
                    .map(|d| Duration::from_micros(u64::try_from(d.micros).unwrap_or(0))),
                reversible: migration.is_some_and(|m| m.is_reversible())
                    || detail.is_some_and(|d| d.recorded_down),
            });
        }
        for migration in self.migrations.iter() {
            if !history.iter().any(|row| row.version == migration.version()) {
                lines.push(pending_status(migration));
            }
        }
        lines.sort_by_key(|line| line.version);
        Ok(lines)
    }

    /// The state of `row`, whose revert is unfinished, with its down script.
    async fn unfinished_revert_state(
        &self,
        driver: &mut dyn Driver,
        row: &AppliedMigration,
    ) -> Result<State, Error> {
        let sql = driver.sql();
        let (file, statements) = match self.revert_of(driver, row, sql.backend).await {
            Ok(revert) if !revert.is_rust() => (
                revert.file.clone(),
                Some(statements::split(&revert.sql, sql.dialect).len()),
            ),
            Ok(revert) => (revert.file.clone(), None),
            Err(Error::Irreversible { .. }) => {
                (plan::down_file(self.migrations, row.version), None)
            }
            Err(error) => return Err(error),
        };
        Ok(State::UnfinishedRevert {
            file,
            statements_applied: row.statements_applied,
            statements,
            error: row.error.clone(),
        })
    }

    /// When each migration was applied, how long it took, and whether a down script was
    /// recorded, in one query.
    async fn applied_details(&self, driver: &mut dyn Driver) -> Result<Vec<Details>, Error> {
        let query = driver.sql().applied_details(&self.table);
        let rows = driver
            .fetch_text(query)
            .await
            .map_err(Error::db("reading the history table"))?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let mut columns = row.into_iter();
                Some(Details {
                    version: columns.next()??.parse().ok()?,
                    applied_at: columns.next().flatten(),
                    micros: columns
                        .next()
                        .flatten()
                        .and_then(|m| m.parse().ok())
                        .unwrap_or(0),
                    recorded_down: columns.next().flatten().is_some_and(|d| d == "1"),
                })
            })
            .collect())
    }

    async fn plan_on(
        &self,
        driver: &mut dyn Driver,
        operation: Operation,
    ) -> Result<Vec<PlannedStep>, Error> {
        let history = self
            .read_history(driver, Access::ReadOnly)
            .await?
            .unwrap_or_default();
        let sql = driver.sql();
        match operation {
            Operation::Up { to } => {
                let plan = plan::plan(self.migrations, &history, self.policy)?.up_to(to);
                let resume = plan.resume.map(|r| {
                    let skip = r.row.statements_applied;
                    let rest: Vec<&str> = statements::split(r.migration.up().sql(), sql.dialect)
                        .into_iter()
                        .skip(skip)
                        .map(|s| s.sql)
                        .collect();
                    PlannedStep {
                        up: true,
                        version: r.migration.version(),
                        name: r.migration.name().to_owned(),
                        file: r.migration.up().file().to_owned(),
                        sql: rest.join(";\n") + ";",
                        resumes_after: Some(skip),
                    }
                });
                let pending = plan.pending.into_iter().map(|m| PlannedStep {
                    up: true,
                    version: m.version(),
                    name: m.name().to_owned(),
                    file: m.up().file().to_owned(),
                    sql: shown(m.up(), sql.backend),
                    resumes_after: None,
                });
                Ok(resume.into_iter().chain(pending).collect())
            }
            Operation::Down(down) => Ok(self
                .reverts(driver, &history, down)
                .await?
                .into_iter()
                .map(|r| PlannedStep {
                    up: false,
                    version: r.version,
                    sql: r.sql_to_run(sql.dialect),
                    resumes_after: r.resume.map(|resume| resume.after),
                    name: r.name,
                    file: r.file,
                })
                .collect()),
        }
    }
}

fn pending_status(migration: &Migration) -> MigrationStatus {
    MigrationStatus {
        version: migration.version(),
        name: migration.name().to_owned(),
        state: State::Pending,
        applied_at: None,
        duration: None,
        reversible: migration.is_reversible(),
    }
}

/// What `plan` shows of a script: its SQL, or which Rust function runs.
pub(super) fn shown(script: &Script, database: Backend) -> String {
    if !script.is_rust() {
        return script.sql().to_owned();
    }
    match script.function_for(database) {
        Some(code) => format!(
            "-- the Rust function `{}` of `{}`, in one transaction",
            code.name(),
            script.file()
        ),
        None => format!(
            "-- `{}` has no Rust function for {database}: running it fails",
            script.file()
        ),
    }
}
