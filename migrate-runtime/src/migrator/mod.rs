//! The migrator: its settings, and the frame of every operation: take a connection, check
//! the history without the lock, take the lock, run the operation, release the lock on
//! every path. Written once against [`Driver`] and compiled once, in this crate.

mod apply;
mod batch;
mod manual;
mod prefix;
mod read;
mod retry;
mod revert;
mod revert_steps;
mod status;
mod steps;

use std::sync::Arc;
use std::time::Duration;

use crate::code::{Backend, Code};
use crate::driver::{BoxFuture, CodeError, Driver, Pool};
use crate::history::HistoryTable;
use crate::lock::{self, LockMode, Waiter, DEFAULT_LOCK_TIMEOUT};
use crate::migration::{Migration, Migrations, Script};
use crate::plan::{self, Policy};
use crate::report::Report;
use crate::Error;
use read::Access;

pub use revert::Down;
pub use status::{MigrationStatus, Operation, PlannedStep, State};

/// Applies a set of embedded migrations. Get one from the generated `migrations::migrator()`,
/// configure it, then [`run`](Migrator::run) it.
#[derive(Clone, Debug)]
pub struct Migrator {
    migrations: &'static Migrations,
    table: HistoryTable,
    lock_timeout: Duration,
    lock_mode: LockMode,
    policy: Policy,
    observer: Option<Observer>,
}

/// What a migrator reports while it works, to an observer set with
/// [`Migrator::on_progress`] (the CLI prints a line per migration from these).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// A migration is about to run.
    Applying {
        /// Its version.
        version: i64,
        /// Its description.
        name: &'static str,
    },
    /// A migration was applied.
    Applied {
        /// Its version.
        version: i64,
        /// Its description.
        name: &'static str,
        /// How long it took.
        duration: Duration,
    },
    /// A migration is about to be reverted.
    Reverting {
        /// Its version.
        version: i64,
        /// Its description.
        name: String,
    },
    /// A migration was reverted.
    Reverted {
        /// Its version.
        version: i64,
        /// Its description.
        name: String,
        /// How long its down script took.
        duration: Duration,
    },
}

#[derive(Clone)]
struct Observer(Arc<dyn Fn(&Progress) + Send + Sync>);

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observer")
    }
}

/// What an operation does under the lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    /// Apply pending migrations up to and including `to`.
    Up { to: Option<i64> },
    /// Revert applied migrations.
    Down(Down),
    /// Record pending migrations up to and including this version as applied.
    MarkApplied(i64),
    /// Delete the records of this version and every later one.
    MarkReverted(i64),
    /// Accept edited checksums, drop unfinished rows.
    Repair,
    /// Resume the unfinished migration or revert of this version at its failed statement.
    Retry(i64),
}

/// What the summary of the history tells before anything is locked.
enum Check {
    /// Every migration is applied, with the checksum of its file, and nothing else is recorded.
    UpToDate,
    /// There is no history table yet.
    NoHistory,
    /// Anything else: read the whole history to know what to do.
    ReadAll,
}

impl Migrator {
    /// A migrator with the default settings: history table `_migrate_history`, lock timeout
    /// of 10 minutes.
    pub fn new(migrations: &'static Migrations) -> Self {
        Migrator {
            migrations,
            table: HistoryTable::default(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            lock_mode: LockMode::Session,
            policy: Policy::default(),
            observer: None,
        }
    }

    /// Uses another history table: `name` or, on PostgreSQL, `schema.name` (the schema is
    /// created if missing). Each part must be a plain identifier.
    ///
    /// # Errors
    /// [`Error::InvalidTableName`] for anything else.
    pub fn history_table(mut self, name: &str) -> Result<Self, Error> {
        self.table = HistoryTable::parse(name)?;
        Ok(self)
    }

    /// How long to wait for another runner's lock before giving up with
    /// [`Error::LockTimeout`]; 10 minutes by default.
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// Calls `observer` as migrations start and finish, in order, from the task that runs
    /// them (keep it quick).
    pub fn on_progress(mut self, observer: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.observer = Some(Observer(Arc::new(observer)));
        self
    }

    fn notify(&self, progress: Progress) {
        if let Some(observer) = &self.observer {
            (observer.0)(&progress);
        }
    }

    /// How runners exclude each other; [`LockMode::Session`] by default.
    pub fn lock_mode(mut self, mode: LockMode) -> Self {
        self.lock_mode = mode;
        self
    }

    /// Applies pending migrations numbered below the highest applied one instead of refusing
    /// with [`Error::OutOfOrder`]. For teams whose branches add migrations in parallel and
    /// whose migrations do not depend on each other's order; off by default.
    pub fn allow_out_of_order(mut self, allow: bool) -> Self {
        self.policy.allow_out_of_order = allow;
        self
    }

    /// Tolerates applied migrations that this binary does not contain instead of refusing
    /// with [`Error::MissingFromBinary`]: for rolling back a deploy to an older binary while
    /// the newer one's migrations stay applied. Off by default.
    pub fn ignore_missing(mut self, ignore: bool) -> Self {
        self.policy.ignore_missing = ignore;
        self
    }

    /// The migrations this migrator applies.
    pub fn migrations(&self) -> &'static Migrations {
        self.migrations
    }

    /// The history table it records them in.
    pub fn table(&self) -> &HistoryTable {
        &self.table
    }

    /// Applies every pending migration, in version order, each with its history row in one
    /// transaction (unless it says `-- migrate:no-transaction`).
    ///
    /// The history is checked first without a lock, from a one-row summary (and read whole
    /// only when the summary does not show every migration applied as embedded); when
    /// nothing is pending that is the whole run. Otherwise the migrator takes the migration
    /// lock, reads the history again under it, and applies what is still pending. Any number
    /// of runners may start at once: each migration is applied exactly once.
    ///
    /// # Errors
    /// Drift ([`Error::ChecksumMismatch`], [`Error::MissingFromBinary`],
    /// [`Error::OutOfOrder`], [`Error::Dirty`], [`Error::RevertUnfinished`]) is reported
    /// before anything is applied; a
    /// failing migration stops the run with [`Error::Migration`], keeping the migrations
    /// applied before it.
    pub async fn run<P: Pool>(&self, pool: &P) -> Result<Report, Error> {
        self.execute(pool, Op::Up { to: None }).await
    }

    /// Takes a connection, takes the lock, runs `op` under it, and releases it on every
    /// path. For `Up`, the history is first checked without the lock: when nothing is
    /// pending that is the whole run. Not generic: compiled once, here.
    fn execute<'a>(&'a self, pool: &'a dyn Pool, op: Op) -> BoxFuture<'a, Result<Report, Error>> {
        Box::pin(async move {
            let mut driver = pool.driver().await?;
            let result = self.execute_on(driver.as_mut(), op).await;
            let (result, dirty) = match result {
                Ok((report, clean)) => {
                    let dirty = !(clean && report.is_noop());
                    (Ok(report), dirty)
                }
                Err(error) => (Err(error), true),
            };
            driver.finish(dirty).await;
            result
        })
    }

    /// [`Migrator::execute`] on a connection: the report, and whether the connection is fit
    /// for reuse as far as the lock goes.
    async fn execute_on(&self, driver: &mut dyn Driver, op: Op) -> Result<(Report, bool), Error> {
        let waiter = match op {
            Op::Up { to } => {
                if self.nothing_to_apply(driver, to).await? {
                    tracing::debug!(table = %self.table, "migrations up to date");
                    return Ok((Report::default(), true));
                }
                Some(UpTo { migrator: self, to })
            }
            _ => None,
        };
        let waiting = waiter.as_ref().map(|w| w as &dyn Waiter);
        let Some(guard) = lock::acquire(
            driver,
            &self.table,
            self.lock_mode,
            self.lock_timeout,
            waiting,
        )
        .await?
        else {
            tracing::debug!(table = %self.table, "another runner applied everything while this one waited");
            return Ok((Report::default(), true));
        };
        let result = self.execute_locked(driver, &guard, op).await;
        let released = guard.release(driver, &self.table).await;
        let report = result?;
        let released = released?;
        Ok((report, released))
    }

    /// Runs `op` under the lock, after creating the history table where missing.
    async fn execute_locked(
        &self,
        driver: &mut dyn Driver,
        guard: &lock::Guard,
        op: Op,
    ) -> Result<Report, Error> {
        for sql in driver.sql().create_history(&self.table) {
            driver
                .execute(sql)
                .await
                .map_err(Error::db("creating the history table"))?;
        }
        if let Some(sql) = crate::seal::drop_sql(&self.table, driver.sql().dialect) {
            if let Err(error) = driver.execute(sql).await {
                tracing::warn!(table = %self.table, %error, "cannot drop the seal of an earlier version (its table and triggers)");
            }
        }
        let history = self
            .read_history(driver, Access::Locked)
            .await?
            .unwrap_or_default();
        match op {
            Op::Up { to } => self.apply_up(driver, guard, &history, to).await,
            Op::Down(down) => self.revert_locked(driver, guard, &history, down).await,
            Op::MarkApplied(to) => self.mark_applied_locked(driver, guard, &history, to).await,
            Op::MarkReverted(from) => {
                self.mark_reverted_locked(driver, guard, &history, from)
                    .await
            }
            Op::Repair => self.repair_locked(driver, guard, &history).await,
            Op::Retry(version) => self.retry_locked(driver, guard, &history, version).await,
        }
    }

    /// Whether nothing is pending up to `to`: from the summary of the history when it shows
    /// every migration applied as embedded, else from the whole history.
    async fn nothing_to_apply(
        &self,
        driver: &mut dyn Driver,
        to: Option<i64>,
    ) -> Result<bool, Error> {
        let history = match self.summarise(driver).await {
            Check::UpToDate => return Ok(true),
            Check::NoHistory => None,
            Check::ReadAll => self.read_history(driver, Access::ReadOnly).await?,
        };
        let rows = history.as_deref().unwrap_or_default();
        Ok(plan::plan(self.migrations, rows, self.policy)?
            .up_to(to)
            .is_empty())
    }

    /// Whether the history holds exactly this migrator's migrations, every one applied with
    /// the checksum of its file (then nothing is pending and nothing has drifted), from one
    /// small query instead of every row.
    async fn summarise(&self, driver: &mut dyn Driver) -> Check {
        match driver.history_summary(&self.table).await {
            Ok(Some(summary)) if summary.matches(self.migrations) => Check::UpToDate,
            Ok(Some(_)) => Check::ReadAll,
            Ok(None) => Check::NoHistory,
            Err(error) => {
                tracing::debug!(table = %self.table, %error, "no summary of the history; reading all of it");
                Check::ReadAll
            }
        }
    }

    /// The version of `target`, which must be one of this migrator's own items (a
    /// `migrations::V…` of the same `embed_migrations!`).
    fn version_of(&self, target: &'static Migration) -> Result<i64, Error> {
        match self.migrations.get(target.version()) {
            Some(own) if std::ptr::eq(own, target) => Ok(target.version()),
            _ => Err(Error::UnknownTarget {
                version: target.version(),
                file: target.up().file().to_owned(),
            }),
        }
    }
}

/// What a runner waiting for the lock before an `up` came to do.
struct UpTo<'m> {
    migrator: &'m Migrator,
    to: Option<i64>,
}

impl Waiter for UpTo<'_> {
    /// Whether another runner has applied everything up to `to` meanwhile.
    fn done<'a>(&'a self, driver: &'a mut dyn Driver) -> BoxFuture<'a, Result<bool, Error>> {
        Box::pin(async move {
            let migrator = self.migrator;
            match migrator.summarise(driver).await {
                Check::UpToDate => Ok(true),
                Check::NoHistory => Ok(false),
                // Without a target or extra rows to ignore, "nothing pending" is what the
                // summary tells; otherwise it takes the whole history.
                Check::ReadAll if self.to.is_some() || migrator.policy.ignore_missing => {
                    match migrator.read_history(driver, Access::ReadOnly).await? {
                        Some(history) => {
                            Ok(plan::plan(migrator.migrations, &history, migrator.policy)?
                                .up_to(self.to)
                                .is_empty())
                        }
                        None => Ok(false),
                    }
                }
                Check::ReadAll => Ok(false),
            }
        })
    }
}

/// The function of `script` (of a migration written in Rust) for `database`, or
/// [`Error::WrongBackend`]; `Ok(None)` for SQL.
fn function_for(
    migration: &Migration,
    script: &Script,
    database: Backend,
) -> Result<Option<&'static Code>, Error> {
    if !script.is_rust() {
        return Ok(None);
    }
    match script.function_for(database) {
        Some(code) => Ok(Some(code)),
        None => Err(Error::WrongBackend {
            version: migration.version(),
            file: script.file().to_owned(),
            written_for: script
                .functions()
                .iter()
                .map(|code| code.backend())
                .collect(),
            database,
        }),
    }
}

/// The error of the Rust function `code` of `script` that failed.
fn code_error(version: i64, script: &Script, code: &Code, error: CodeError) -> Error {
    match error {
        CodeError::Code(error) => Error::Code {
            version,
            file: script.file().to_owned(),
            function: code.name(),
            error,
        },
        CodeError::Database(context, error) => Error::Database { context, error },
    }
}
