//! The migrator: configuration, and the run loop shared by every backend.

use std::time::{Duration, Instant};

use crate::backend::{Outcome, Pool, Session};
use crate::history::HistoryTable;
use crate::migration::Migrations;
use crate::plan;
use crate::report::{Applied, Report};
use crate::Error;

/// The default deadline for taking the migration lock.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(600);

/// Applies a set of embedded migrations. Get one from the generated `migrations::migrator()`,
/// configure it, then [`run`](Migrator::run) it.
#[derive(Clone, Debug)]
pub struct Migrator {
    migrations: &'static Migrations,
    table: HistoryTable,
    lock_timeout: Duration,
}

impl Migrator {
    /// A migrator with the default settings: history table `_migrate_history`, lock timeout
    /// of 10 minutes.
    pub fn new(migrations: &'static Migrations) -> Self {
        Migrator {
            migrations,
            table: HistoryTable::default(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
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
    /// The history is read first without a lock; when nothing is pending that is the whole
    /// run. Otherwise the migrator takes the migration lock, reads the history again under
    /// it, and applies what is still pending. Any number of runners may start at once: each
    /// migration is applied exactly once.
    ///
    /// # Errors
    /// Drift ([`Error::ChecksumMismatch`], [`Error::MissingFromBinary`],
    /// [`Error::OutOfOrder`], [`Error::Dirty`]) is reported before anything is applied; a
    /// failing migration stops the run with [`Error::Migration`], keeping the migrations
    /// applied before it.
    pub async fn run<P: Pool>(&self, pool: &P) -> Result<Report, Error> {
        let mut session = pool.open_session().await?;
        let history = session.read_history(&self.table).await?;
        let pending = plan::pending(self.migrations, history.as_deref().unwrap_or_default())?;
        if pending.is_empty() {
            tracing::debug!(table = %self.table, "migrations up to date");
            session.finish(false).await;
            return Ok(Report::default());
        }

        self.lock(&mut session).await?;
        let result = self.run_locked(&mut session).await;
        let unlocked = session.unlock(&self.table).await;
        let dirty = !matches!(&result, Ok(report) if report.is_noop());
        session.finish(dirty).await;
        let report = result?;
        unlocked?;
        Ok(report)
    }

    async fn run_locked<S: Session>(&self, session: &mut S) -> Result<Report, Error> {
        session.create_history(&self.table).await?;
        let history = session.read_history(&self.table).await?.unwrap_or_default();
        let pending = plan::pending(self.migrations, &history)?;
        let mut report = Report::default();
        for migration in pending {
            tracing::info!(
                version = migration.version(),
                name = migration.name(),
                "applying migration"
            );
            match session.apply(&self.table, migration).await {
                Ok(Outcome::Applied(duration)) => {
                    tracing::info!(
                        version = migration.version(),
                        name = migration.name(),
                        duration_ms = duration.as_millis() as u64,
                        "applied migration"
                    );
                    report.applied.push(Applied {
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

    /// Polls the lock with exponential backoff (10 ms doubling to 250 ms, with jitter) until
    /// it is taken or the deadline passes. Polling instead of blocking keeps a waiting runner
    /// from deadlocking with `CREATE INDEX CONCURRENTLY` in the runner that holds it.
    async fn lock<S: Session>(&self, session: &mut S) -> Result<(), Error> {
        let started = Instant::now();
        let mut delay = Duration::from_millis(10);
        let mut attempts = 0u32;
        loop {
            if session.try_lock(&self.table).await? {
                tracing::debug!(table = %self.table, attempts, waited_ms = started.elapsed().as_millis() as u64, "took the migration lock");
                return Ok(());
            }
            attempts += 1;
            let waited = started.elapsed();
            if waited >= self.lock_timeout {
                let holder = session.lock_holder(&self.table).await;
                return Err(Error::LockTimeout {
                    waited,
                    table: self.table.to_string(),
                    holder,
                });
            }
            if attempts == 1 {
                tracing::info!(table = %self.table, "waiting for another runner's migration lock");
            }
            let sleep = jitter(delay).min(self.lock_timeout - waited);
            tokio::time::sleep(sleep).await;
            delay = (delay * 2).min(Duration::from_millis(250));
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
