//! The migrator: configuration, and the run loop shared by every backend.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::backend::lease::{owner_token, LeaseSql};
use crate::backend::{self, CodeError, Outcome, Pool, Session, StepError, Wait};
use crate::code::{Backend, Code};
use crate::history::{AppliedMigration, HistoryTable};
use crate::migration::Script;
use crate::migration::{Migration, Migrations};
use crate::plan::{self, Policy};
use crate::report::Report;
use crate::statements;
use crate::Error;

/// What the summary of the history tells before anything is locked.
enum Check {
    /// Every migration is applied, with the checksum of its file, and nothing else is recorded.
    UpToDate,
    /// There is no history table yet.
    NoHistory,
    /// Anything else: read the whole history to know what to do.
    ReadAll,
}

/// How concurrent runners exclude each other while migrating.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum LockMode {
    /// The database's session lock, held by the migration connection: PostgreSQL
    /// `pg_try_advisory_lock`, MySQL `GET_LOCK`, an OS file lock beside a SQLite file. The
    /// database releases it when the connection or process dies, so a crash never leaves it
    /// held. The default; needs a direct connection (not a pooler in transaction mode).
    #[default]
    Session,
    /// A lease: a row in `<history table>_lock` that names its holder and expires after
    /// `stale_after` unless the holder's heartbeat (every third of that, on another
    /// connection from the pool) renews it. Works through PgBouncer in transaction mode and
    /// on databases without advisory locks (CockroachDB). After a crash the next runner
    /// waits up to `stale_after`. A runner that cannot renew in time loses the lease and
    /// stops with [`Error::LeaseLost`]. Needs a pool of at least two connections.
    Lease {
        /// How long a lease lasts without a heartbeat.
        stale_after: Duration,
    },
    /// No lock: only when the deployment guarantees a single runner. Concurrent runners
    /// may then apply the same migration twice.
    None,
}

impl LockMode {
    /// [`LockMode::Lease`] with this stale timeout.
    pub fn lease(stale_after: Duration) -> LockMode {
        LockMode::Lease { stale_after }
    }
}

/// The default deadline for taking the migration lock.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(600);

/// Applies a set of embedded migrations. Get one from the generated `migrations::migrator()`,
/// configure it, then [`run`](Migrator::run) it.
#[derive(Clone, Debug)]
pub struct Migrator {
    pub(crate) migrations: &'static Migrations,
    pub(crate) table: HistoryTable,
    lock_timeout: Duration,
    lock_mode: LockMode,
    pub(crate) policy: Policy,
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

/// What an [`execute`](Migrator::execute) does under the lock.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
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
}

/// Which applied migrations a revert undoes, newest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Down {
    /// Every migration applied after this version (which stays applied).
    To(i64),
    /// The newest N.
    Steps(usize),
    /// All of them.
    All,
}

/// The lock while held: for a lease, its statements, its heartbeat, and whether it was lost.
#[derive(Default)]
pub(crate) struct Held {
    lease: Option<HeldLease>,
}

struct HeldLease {
    sql: LeaseSql,
    owner: String,
    lost: Arc<AtomicBool>,
    heartbeat: tokio::task::JoinHandle<()>,
}

impl Drop for HeldLease {
    fn drop(&mut self) {
        self.heartbeat.abort();
    }
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

    pub(crate) fn notify(&self, progress: Progress) {
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
    /// [`Error::OutOfOrder`], [`Error::Dirty`]) is reported before anything is applied; a
    /// failing migration stops the run with [`Error::Migration`], keeping the migrations
    /// applied before it.
    pub async fn run<P: Pool>(&self, pool: &P) -> Result<Report, Error> {
        self.execute(pool, Op::Up { to: None }).await
    }

    /// Runs `op` through the pool's entry point, which calls [`Migrator::execute_on`] in
    /// this crate: generic callers instantiate only this.
    pub(crate) async fn execute<P: Pool>(&self, pool: &P, op: Op) -> Result<Report, Error> {
        pool.execute(self, op).await
    }

    /// Takes the lock, runs `op` under it, and releases it on every path. For `Up`, the
    /// history is first checked without the lock: when nothing is pending that is the whole
    /// run.
    pub(crate) async fn execute_on<P: Pool>(&self, pool: &P, op: Op) -> Result<Report, Error> {
        let mut session = pool.open_session().await?;
        if let Op::Up { to } = op {
            let history = match self.summarise(&mut session).await {
                Check::UpToDate => {
                    tracing::debug!(table = %self.table, "migrations up to date");
                    session.finish(false).await;
                    return Ok(Report::default());
                }
                Check::NoHistory => None,
                Check::ReadAll => session.read_history(&self.table).await?,
            };
            let rows = history.as_deref().unwrap_or_default();
            let plan = plan::plan(self.migrations, rows, self.policy)?;
            if plan.up_to(to).is_empty() {
                tracing::debug!(table = %self.table, "migrations up to date");
                session.finish(false).await;
                return Ok(Report::default());
            }
        }
        let up_to = match op {
            Op::Up { to } => Some(to),
            _ => None,
        };
        let Some(held) = self.lock(&mut session, up_to).await? else {
            tracing::debug!(table = %self.table, "another runner applied everything while this one waited");
            session.finish(false).await;
            return Ok(Report::default());
        };
        let result = self.execute_locked(&mut session, &held, op).await;
        let unlocked = self.unlock(&mut session, held).await;
        let dirty = !matches!(&result, Ok(report) if report.is_noop());
        session.finish(dirty).await;
        let report = result?;
        unlocked?;
        Ok(report)
    }

    /// Whether the history holds exactly this migrator's migrations, every one applied with
    /// the checksum of its file (then nothing is pending and nothing has drifted), from one
    /// small query instead of every row.
    async fn summarise<S: Session>(&self, session: &mut S) -> Check {
        match session.history_summary(&self.table).await {
            Ok(Some(summary)) if summary.matches(self.migrations) => Check::UpToDate,
            Ok(Some(_)) => Check::ReadAll,
            Ok(None) => Check::NoHistory,
            Err(error) => {
                tracing::debug!(table = %self.table, %error, "no summary of the history; reading all of it");
                Check::ReadAll
            }
        }
    }

    /// Applies what is pending (up to and including version `to`), resuming an unfinished
    /// migration first. Called under the lock, after the history table exists.
    pub(crate) async fn apply_up<S: Session>(
        &self,
        session: &mut S,
        held: &Held,
        history: &[AppliedMigration],
        to: Option<i64>,
    ) -> Result<Report, Error> {
        let plan = plan::plan(self.migrations, history, self.policy)?.up_to(to);
        let database = backend::backend_of(session.dialect());
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
            let duration = self
                .apply_stepwise(session, held, migration, Some(&resume.row))
                .await?;
            report.push(migration, duration);
            self.notify(Progress::Applied {
                version: migration.version(),
                name: migration.name(),
                duration,
            });
        }
        let last = plan.pending.last().map(|m| m.version());
        for migration in plan.pending {
            self.check(held)?;
            tracing::info!(
                version = migration.version(),
                name = migration.name(),
                "applying migration"
            );
            self.notify(Progress::Applying {
                version: migration.version(),
                name: migration.name(),
            });
            let outcome = if let Some(code) = function_for(migration, migration.up(), database)? {
                self.apply_code(session, migration, code).await
            } else if session.transactional_ddl() && !migration.up().no_transaction() {
                let durable = Some(migration.version()) == last;
                session
                    .apply_in_transaction(&self.table, migration, durable)
                    .await
            } else {
                self.apply_stepwise(session, held, migration, None)
                    .await
                    .map(Outcome::Applied)
            };
            match outcome {
                Ok(Outcome::Applied(duration)) => {
                    report.push(migration, duration);
                    self.notify(Progress::Applied {
                        version: migration.version(),
                        name: migration.name(),
                        duration,
                    });
                }
                Ok(Outcome::AlreadyApplied) => {
                    tracing::debug!(
                        version = migration.version(),
                        "applied by another runner meanwhile"
                    );
                }
                Err(error) => {
                    tracing::error!(version = migration.version(), %error, "migration failed");
                    return Err(error);
                }
            }
        }
        Ok(report)
    }

    /// Applies a migration written in Rust: its `up` function and its history row, in one
    /// transaction.
    async fn apply_code<S: Session>(
        &self,
        session: &mut S,
        migration: &'static Migration,
        code: &'static Code,
    ) -> Result<Outcome, Error> {
        let table = &self.table;
        let record = session.history_row_sql(table, migration, true, backend::DURATION_SLOT);
        let recheck = format!(
            "SELECT version FROM {} WHERE version = {}",
            table.quoted(session.quote()),
            migration.version()
        );
        match session.run_code(code, Some(recheck), record).await {
            Ok(Some(duration)) => Ok(Outcome::Applied(duration)),
            Ok(None) => Ok(Outcome::AlreadyApplied),
            Err(error) => Err(code_error(migration.version(), migration.up(), code, error)),
        }
    }

    /// Runs a migration one statement at a time, recording after each statement how many are
    /// done, so that a failure or a crash leaves a row that says exactly where it stopped.
    /// With `resume`, the statements recorded as applied are skipped, after checking that
    /// they are unchanged in the file.
    pub(crate) async fn apply_stepwise<S: Session>(
        &self,
        session: &mut S,
        held: &Held,
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
        let sql = script.sql();
        let dialect = session.dialect();
        let statements = statements::split(sql, dialect);
        let skip = match resume {
            None => {
                session.start_unfinished(table, migration).await?;
                0
            }
            Some(row) => {
                let done = row.statements_applied;
                let unchanged = statements.get(..done).is_some_and(|applied| {
                    Some(&backend::progress_checksum(applied)[..])
                        == row.progress_checksum.as_deref()
                });
                if !unchanged && done > 0 {
                    return Err(Error::Dirty {
                        version: migration.version(),
                        file: script.file().to_owned(),
                        statements_applied: done,
                        message: format!(
                            "{done} statement(s) were applied, but the file's first {done} statement(s) are no longer those;                              restore them as they were (change only the failing statement and what follows),                              or undo the applied statements by hand and delete the row of version {} from the history table",
                            migration.version()
                        ),
                    });
                }
                session
                    .record_error(table, migration.version(), None)
                    .await?;
                done
            }
        };
        let started = Instant::now();
        let mut completed = false;
        for (index, statement) in statements.iter().enumerate().skip(skip) {
            self.check(held)?;
            let applied = index + 1;
            let progress = backend::progress_checksum(&statements[..applied]);
            let complete = (applied == statements.len() && session.completes_in_last_step())
                .then_some((migration, started));
            tracing::debug!(
                version = migration.version(),
                statement = applied,
                of = statements.len(),
                "running statement"
            );
            let failure = match session
                .step(
                    table,
                    migration.version(),
                    statement.sql,
                    applied,
                    &progress,
                    complete,
                )
                .await
            {
                Ok(()) => {
                    completed = complete.is_some();
                    continue;
                }
                Err(StepError::Statement(error)) => error,
                Err(StepError::Record(error)) => {
                    return Err(Error::db(
                        "recording a migration's progress in the history table",
                    )(error))
                }
            };
            let message = backend::db_message(&failure);
            if let Err(record) = session
                .record_error(table, migration.version(), Some(&message))
                .await
            {
                tracing::error!(version = migration.version(), error = %record, "could not record the failed statement");
            }
            let at = session
                .error_position(&failure)
                .and_then(|p| backend::char_to_byte(statement.sql, p))
                .unwrap_or(0);
            let location = backend::locate(sql, dialect, statement.offset + at);
            let mut error =
                backend::migration_error(migration, script, failure, false, Some(location));
            // Resuming after a runner died, the first statement may have completed before
            // its progress was recorded (MySQL commits DDL on its own).
            if resume.is_some_and(|row| row.error.is_none()) && index == skip {
                if let Error::Migration { message, .. } = &mut error {
                    message.push_str(
                        " (the previous runner died right after this statement, which may have \
                         completed before its progress was recorded: make it idempotent, e.g. \
                         IF NOT EXISTS, and run again to resume at it)",
                    );
                }
            }
            return Err(error);
        }
        if !completed {
            session
                .complete(table, migration, backend::micros(started))
                .await?;
        }
        Ok(started.elapsed())
    }

    /// Fails with [`Error::LeaseLost`] once the heartbeat has lost the lease.
    pub(crate) fn check(&self, held: &Held) -> Result<(), Error> {
        match &held.lease {
            Some(lease) if lease.lost.load(Ordering::SeqCst) => Err(Error::LeaseLost {
                table: self.table.to_string(),
                owner: lease.owner.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// Whether another runner has applied everything up to `to` meanwhile (checked by a
    /// waiting runner whenever the lock may have been released).
    async fn applied_meanwhile<S: Session>(
        &self,
        session: &mut S,
        to: Option<i64>,
    ) -> Result<bool, Error> {
        match self.summarise(session).await {
            Check::UpToDate => Ok(true),
            Check::NoHistory => Ok(false),
            // Without a target or extra rows to ignore, "nothing pending" is what the summary
            // tells; otherwise it takes the whole history.
            Check::ReadAll if to.is_some() || self.policy.ignore_missing => {
                match session.read_history(&self.table).await? {
                    Some(history) => Ok(plan::plan(self.migrations, &history, self.policy)?
                        .up_to(to)
                        .is_empty()),
                    None => Ok(false),
                }
            }
            Check::ReadAll => Ok(false),
        }
    }

    /// Polls the lock (or the lease) with exponential backoff (10 ms doubling to 100 ms, with
    /// jitter) until it is taken or the deadline passes. Between attempts a waiting runner
    /// waits for the holder to release the lock, for at most that backoff
    /// ([`Session::wait_for_unlock`]: a bounded wait on PostgreSQL, a sleep elsewhere).
    /// Bounded waits instead of one blocking wait keep a waiting runner from deadlocking with
    /// `CREATE INDEX CONCURRENTLY` in the runner that holds it.
    ///
    /// With `up_to` (the target of an `up`), a waiting runner also checks the history
    /// between attempts (its summary, see [`Migrator::summarise`]), and returns
    /// `None` as soon as another runner has applied everything it would: the waiters of a
    /// deployment finish when the first runner does, not one backoff later. A wait that ran
    /// out with the lock still held (PostgreSQL can tell) is followed by the next wait at
    /// once, without that check or another attempt.
    async fn lock<S: Session>(
        &self,
        session: &mut S,
        up_to: Option<Option<i64>>,
    ) -> Result<Option<Held>, Error> {
        let (lease, stale_after) = match self.lock_mode {
            LockMode::None => return Ok(Some(Held::default())),
            LockMode::Session => (None, Duration::ZERO),
            LockMode::Lease { stale_after } => {
                let owner = owner_token();
                let sql = LeaseSql::new(
                    &self.table,
                    session.quote(),
                    session.now_ms(),
                    &owner,
                    stale_after,
                );
                (Some((sql, owner)), stale_after)
            }
        };
        let started = Instant::now();
        let mut delay = Duration::from_millis(10);
        let mut attempts = 0u32;
        let mut prepared = false;
        // Whether the last wait ended with the lock still held: then the history cannot
        // have changed in a way worth a look, nor can the lock be taken.
        let mut still_held = false;
        loop {
            if !still_held {
                if let (Some(to), true) = (up_to, attempts > 0) {
                    if self.applied_meanwhile(session, to).await? {
                        return Ok(None);
                    }
                }
                let taken = match &lease {
                    None => session.try_lock(&self.table).await?,
                    Some((sql, _)) => {
                        if !prepared {
                            prepared = session.prepare_lease(sql).await?;
                        }
                        prepared && session.try_lease(sql).await?
                    }
                };
                if taken {
                    tracing::debug!(table = %self.table, attempts, waited_ms = started.elapsed().as_millis() as u64, "took the migration lock");
                    break;
                }
                attempts += 1;
            }
            let waited = started.elapsed();
            if waited >= self.lock_timeout {
                let holder = match &lease {
                    None => session.lock_holder(&self.table).await,
                    Some((sql, _)) => session.lease_holder(sql).await,
                };
                return Err(Error::LockTimeout {
                    waited,
                    table: self.table.to_string(),
                    holder,
                });
            }
            if attempts == 1 && !still_held {
                tracing::info!(table = %self.table, "waiting for another runner's migration lock");
            }
            let wait = jitter(delay).min(self.lock_timeout - waited);
            let outcome = match &lease {
                None => session.wait_for_unlock(&self.table, wait).await,
                Some(_) => {
                    tokio::time::sleep(wait).await;
                    Wait::Unknown
                }
            };
            still_held = outcome == Wait::StillHeld;
            delay = (delay * 2).min(Duration::from_millis(100));
        }
        let Some((sql, owner)) = lease else {
            return Ok(Some(Held::default()));
        };
        let lost = Arc::new(AtomicBool::new(false));
        let heartbeat = tokio::spawn(heartbeat(
            session.pool_executor(),
            sql.renew.clone(),
            stale_after,
            lost.clone(),
        ));
        Ok(Some(Held {
            lease: Some(HeldLease {
                sql,
                owner,
                lost,
                heartbeat,
            }),
        }))
    }

    async fn unlock<S: Session>(&self, session: &mut S, held: Held) -> Result<(), Error> {
        match (&held.lease, self.lock_mode) {
            (Some(lease), _) => {
                lease.heartbeat.abort();
                session.release_lease(&lease.sql).await
            }
            (None, LockMode::Session) => session.unlock(&self.table).await,
            (None, _) => Ok(()),
        }
    }
}

/// Renews a lease every third of `stale_after` on a connection of its own; marks it `lost`
/// when it was taken over, or when no renewal succeeded for `stale_after`.
async fn heartbeat(
    executor: crate::backend::PoolExecutor,
    renew: String,
    stale_after: Duration,
    lost: Arc<AtomicBool>,
) {
    let interval = (stale_after / 3).max(Duration::from_millis(10));
    let mut renewed = Instant::now();
    loop {
        tokio::time::sleep(interval).await;
        match executor(renew.clone()).await {
            Ok(1) => renewed = Instant::now(),
            Ok(_) => {
                tracing::error!("the migration lease was taken over by another runner");
                lost.store(true, Ordering::SeqCst);
                return;
            }
            Err(error) => {
                tracing::warn!(%error, "renewing the migration lease failed");
                if renewed.elapsed() >= stale_after {
                    lost.store(true, Ordering::SeqCst);
                    return;
                }
            }
        }
    }
}

/// `delay` scaled by a factor in [0.5, 1.5), so that runners that started together spread out.
fn jitter(delay: Duration) -> Duration {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let seed = nanos ^ std::process::id().rotate_left(16);
    let factor = 0.5 + f64::from(seed % 1000) / 1000.0;
    delay.mul_f64(factor)
}

/// The function of `script` (of a migration written in Rust) for `database`, or
/// [`Error::WrongBackend`]; `Ok(None)` for SQL.
pub(crate) fn function_for(
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
pub(crate) fn code_error(version: i64, script: &Script, code: &Code, error: CodeError) -> Error {
    match error {
        CodeError::Code(source) => Error::Code {
            version,
            file: script.file().to_owned(),
            function: code.name(),
            source,
        },
        CodeError::Database(context, source) => Error::Database { context, source },
    }
}
