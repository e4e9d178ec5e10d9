//! The migration lock: how concurrent runners exclude each other ([`LockMode`]), the wait
//! for it with backoff, and the [`Guard`] that holds it until it is released. The
//! per-database session locks are in `session.rs`, the lease in `lease.rs`.

mod lease;
mod session;

use std::time::{Duration, Instant};

use crate::driver::{BoxFuture, Driver, Sql};
use crate::history::HistoryTable;
use crate::Error;
use lease::{owner_token, HeldLease, LeaseSql};
use session::Wait;

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
    /// stops with [`Error::LeaseLost`]. Every write under a lease is fenced: it commits only
    /// if the lease is still this runner's, so a runner that lost it changes nothing more
    /// (except a statement that commits on its own, such as MySQL DDL, in the narrow window
    /// the README's "What a lease guarantees" describes). Needs a pool of at least two
    /// connections.
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

/// Tells a waiting runner that it need not wait any longer: another runner has done what it
/// came to do.
pub(crate) trait Waiter: Sync {
    /// Whether the work is done (checked whenever the lock may have been released).
    fn done<'a>(&'a self, driver: &'a mut dyn Driver) -> BoxFuture<'a, Result<bool, Error>>;
}

/// The lock while held. Released by [`Guard::release`]; on any other path (an error
/// before it, a panic, a cancelled future) a session lock goes with the driver's
/// connection, which is then closed, and a lease is given up in the background.
pub(crate) struct Guard {
    held: Held,
}

enum Held {
    /// [`LockMode::None`].
    Nothing,
    Session(session::Held),
    Lease(Box<HeldLease>),
}

/// Takes the lock on `table` in `mode`, waiting at most `timeout`.
///
/// Polls with exponential backoff (10 ms doubling to 100 ms, with jitter). Between
/// attempts a waiting runner waits for the holder to release the lock, for at most that
/// backoff (a bounded wait on PostgreSQL, a sleep elsewhere). Bounded waits instead of one
/// blocking wait keep a waiting runner from deadlocking with `CREATE INDEX CONCURRENTLY` in
/// the runner that holds it.
///
/// With a `waiter`, a waiting runner asks it between attempts whether another runner has
/// done its work meanwhile, and returns `None` as soon as it has: the waiters of a
/// deployment finish when the first runner does, not one backoff later. A wait that ran out
/// with the lock still held (PostgreSQL can tell) is followed by the next wait at once,
/// without that check or another attempt.
pub(crate) async fn acquire(
    driver: &mut dyn Driver,
    table: &HistoryTable,
    mode: LockMode,
    timeout: Duration,
    waiter: Option<&dyn Waiter>,
) -> Result<Option<Guard>, Error> {
    let lease = match mode {
        LockMode::None => {
            return Ok(Some(Guard {
                held: Held::Nothing,
            }))
        }
        LockMode::Session => None,
        LockMode::Lease { stale_after } => {
            let owner = owner_token();
            let sql = LeaseSql::new(table, driver.sql(), &owner, stale_after);
            Some((sql, owner, stale_after))
        }
    };
    let started = Instant::now();
    let mut delay = Duration::from_millis(10);
    let mut attempts = 0u32;
    let mut prepared = false;
    // Whether the last wait ended with the lock still held: then the history cannot have
    // changed in a way worth a look, nor can the lock be taken.
    let mut still_held = false;
    loop {
        if !still_held {
            if let (Some(waiter), true) = (waiter, attempts > 0) {
                if waiter.done(driver).await? {
                    return Ok(None);
                }
            }
            let taken = match &lease {
                None => session::try_lock(driver, table).await?.map(Held::Session),
                Some((sql, _, _)) => {
                    if !prepared {
                        prepared = sql.prepare(driver).await?;
                    }
                    (prepared && sql.try_take(driver).await?).then_some(Held::Nothing)
                }
            };
            if let Some(held) = taken {
                tracing::debug!(table = %table, attempts, waited_ms = started.elapsed().as_millis() as u64, "took the migration lock");
                let held = match lease {
                    None => held,
                    Some((sql, owner, stale_after)) => Held::Lease(Box::new(HeldLease::keep(
                        sql,
                        owner,
                        driver.pool_executor(),
                        stale_after,
                    ))),
                };
                return Ok(Some(Guard { held }));
            }
            attempts += 1;
        }
        let waited = started.elapsed();
        if waited >= timeout {
            let holder = match &lease {
                None => session::holder(driver, table).await,
                Some((sql, _, _)) => sql.holder(driver).await,
            };
            return Err(Error::LockTimeout {
                waited,
                table: table.to_string(),
                holder,
            });
        }
        if attempts == 1 && !still_held {
            tracing::info!(table = %table, "waiting for another runner's migration lock");
        }
        let wait = jitter(delay).min(timeout - waited);
        let outcome = match &lease {
            None => session::wait_for_unlock(driver, table, wait).await,
            Some(_) => {
                tokio::time::sleep(wait).await;
                Wait::Unknown
            }
        };
        still_held = outcome == Wait::StillHeld;
        delay = (delay * 2).min(Duration::from_millis(100));
    }
}

impl Guard {
    /// Fails with [`Error::LeaseLost`] once the heartbeat has lost the lease.
    pub(crate) fn check(&self, table: &HistoryTable) -> Result<(), Error> {
        match &self.held {
            Held::Lease(lease) if lease.is_lost() => Err(Error::LeaseLost {
                table: table.to_string(),
                owner: lease.owner.clone(),
            }),
            _ => Ok(()),
        }
    }

    /// The statement that fails unless this runner still holds the lease, and keeps the
    /// lease from being taken over until the transaction it runs in ends; `None` for the
    /// session lock (held as long as the connection that writes) and for no lock.
    ///
    /// Every write to the history under a lease goes after it, in the same transaction and
    /// the same message: a runner that lost its lease changes nothing and stops with
    /// [`Error::LeaseLost`] (see [`Guard::confirm`]).
    pub(crate) fn fence(&self) -> Option<&str> {
        match &self.held {
            Held::Lease(lease) => Some(&lease.sql.fence),
            Held::Nothing | Held::Session(_) => None,
        }
    }

    /// Under a lease, the statement that makes the server end this session if it sits idle
    /// in a transaction for longer than the lease lasts (a runner stalled inside a Rust
    /// migration's transaction); empty otherwise.
    pub(crate) fn bounded_idle(&self, sql: &Sql) -> String {
        match &self.held {
            Held::Lease(lease) => (sql.bounded_idle)(lease.stale_after),
            Held::Nothing | Held::Session(_) => String::new(),
        }
    }

    /// `sql` after the [`Guard::fence`], in one message.
    pub(crate) fn fenced(&self, sql: String) -> String {
        match self.fence() {
            Some(fence) => format!("{fence};\n{sql}"),
            None => sql,
        }
    }

    /// The error to report for a write that failed under this lock: [`Error::LeaseLost`] when
    /// the lease is no longer this runner's (the fence refused the write, or the lease went
    /// while it ran), otherwise `error`.
    pub(crate) async fn confirm(
        &self,
        driver: &mut dyn Driver,
        table: &HistoryTable,
        error: Error,
    ) -> Error {
        self.lost(driver, table).await.unwrap_or(error)
    }

    /// [`Error::LeaseLost`] when this runner holds a lease that is no longer its own (the
    /// heartbeat lost it, or the lease row names another runner or none).
    pub(crate) async fn lost(
        &self,
        driver: &mut dyn Driver,
        table: &HistoryTable,
    ) -> Option<Error> {
        let Held::Lease(lease) = &self.held else {
            return None;
        };
        let lost = lease.is_lost() || lease.sql.is_ours(driver).await == Some(false);
        lost.then(|| {
            tracing::error!("the migration lease was lost; this runner changes nothing more");
            Error::LeaseLost {
                table: table.to_string(),
                owner: lease.owner.clone(),
            }
        })
    }

    /// Releases the lock: `Ok(false)` when a session lock turned out not to be held by the
    /// connection any more (its connection must not be reused).
    pub(crate) async fn release(
        self,
        driver: &mut dyn Driver,
        table: &HistoryTable,
    ) -> Result<bool, Error> {
        match self.held {
            Held::Nothing => Ok(true),
            Held::Session(held) => session::unlock(driver, table, held).await,
            Held::Lease(lease) => lease.release(driver).await.map(|()| true),
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
