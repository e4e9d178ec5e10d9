//! The lease lock: a row in a lock table (`<history table>_lock`) that names its owner and
//! expires unless its owner's heartbeat extends it. For connection poolers in transaction
//! mode (PgBouncer), where a session lock would be taken on whichever server connection runs
//! the statement, and for databases without advisory locks.
//!
//! Every statement is plain SQL with literals, so that it runs through the simple query
//! protocol (one message, no prepared statement). Times come from the database's clock, so
//! runners on hosts with skewed clocks agree on when a lease expires.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::driver::{Driver, PoolExecutor, Sql};
use crate::history::HistoryTable;
use crate::Error;

/// The statements of the lease protocol for one lock table and one owner.
pub(super) struct LeaseSql {
    /// Creates the lock table.
    create: String,
    /// Deletes an expired lease.
    expire: String,
    /// Inserts ours; fails with a duplicate key while another is held.
    take: String,
    /// Extends ours; affects no row once it was taken over.
    renew: String,
    /// Deletes ours.
    release: String,
    /// Reads the holder and the milliseconds its lease has left.
    holder: String,
    /// Fails unless the lease is ours, and locks its row until the transaction ends.
    pub(super) fence: String,
    /// Returns a row while the lease is ours.
    owned: String,
    /// How long an attempt waits for a holder's fenced write.
    wait: Duration,
}

impl LeaseSql {
    /// `owner` must come from [`owner_token`] (safe in quotes).
    pub(super) fn new(table: &HistoryTable, sql: &Sql, owner: &str, ttl: Duration) -> LeaseSql {
        let lock = table.lock_table().quoted(sql.quote);
        let now_ms = sql.now_ms;
        let ttl = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2);
        LeaseSql {
            create: format!(
                "CREATE TABLE IF NOT EXISTS {lock} (id INTEGER PRIMARY KEY, owner VARCHAR(255) NOT NULL, \
                 acquired_ms BIGINT NOT NULL, expires_ms BIGINT NOT NULL)"
            ),
            expire: format!("DELETE FROM {lock} WHERE id = 1 AND expires_ms < {now_ms}"),
            take: format!(
                "INSERT INTO {lock} (id, owner, acquired_ms, expires_ms) VALUES (1, '{owner}', {now_ms}, {now_ms} + {ttl})"
            ),
            renew: format!("UPDATE {lock} SET expires_ms = {now_ms} + {ttl} WHERE id = 1 AND owner = '{owner}'"),
            release: format!("DELETE FROM {lock} WHERE id = 1 AND owner = '{owner}'"),
            holder: format!(
                "SELECT owner, {} FROM {lock} WHERE id = 1",
                sql.cast_text(&format!("expires_ms - {now_ms}"))
            ),
            // Plain SQL has no way to raise an error, but every database refuses the
            // absolute value of the smallest BIGINT: 1 is added to it while the row says
            // the lease is ours. MySQL refuses it whatever its sql_mode.
            fence: format!(
                "SELECT ABS((-9223372036854775807 - 1) + COALESCE((SELECT 1 FROM {lock} \
                 WHERE id = 1 AND owner = '{owner}'{}), 0))",
                sql.for_update
            ),
            owned: format!("SELECT owner FROM {lock} WHERE id = 1 AND owner = '{owner}'"),
            wait: Duration::from_secs(1),
        }
    }

    /// Creates the lock table if needed. `false` when another runner was creating it at
    /// the same moment (try again).
    pub(super) async fn prepare(&self, driver: &mut dyn Driver) -> Result<bool, Error> {
        match driver.execute(self.create.clone()).await {
            Ok(_) => Ok(true),
            Err(error) if is_creation_race(&error) => Ok(false),
            Err(error) => Err(Error::db("creating the lock table")(error)),
        }
    }

    /// One attempt at the lease: expire a stale one, then insert ours, in one message.
    /// `true` when taken. A holder in the middle of a fenced write keeps the row locked
    /// until that write commits: the attempt waits for it at most `wait` (where the
    /// database takes a bound per statement; otherwise its own lock wait timeout), then
    /// counts as not taken.
    pub(super) async fn try_take(&self, driver: &mut dyn Driver) -> Result<bool, Error> {
        let bound = (driver.sql().bounded_lock_wait)(self.wait);
        match driver
            .execute(format!("{bound}{};\n{}", self.expire, self.take))
            .await
        {
            Ok(_) => Ok(true),
            Err(error) if is_creation_race(&error) || is_lock_wait(&error) => Ok(false),
            Err(error) => Err(Error::db("taking the lease")(error)),
        }
    }

    /// Who holds the lease, and for how much longer unless renewed.
    pub(super) async fn holder(&self, driver: &mut dyn Driver) -> Option<String> {
        let row = driver
            .fetch_text(self.holder.clone())
            .await
            .ok()?
            .into_iter()
            .next()?;
        let [owner, left_ms] = <[Option<String>; 2]>::try_from(row).ok()?;
        let left_ms: i64 = left_ms?.parse().ok()?;
        Some(format!(
            "the lease of `{}`, which expires in {}s unless renewed",
            owner?,
            left_ms.max(0) / 1000
        ))
    }

    /// Whether the lease is still ours; `None` when the database could not say.
    pub(super) async fn is_ours(&self, driver: &mut dyn Driver) -> Option<bool> {
        let rows = driver.fetch_text(self.owned.clone()).await.ok()?;
        Some(!rows.is_empty())
    }

    /// Gives the lease up (a no-op when another runner has taken it over).
    pub(super) async fn release(&self, driver: &mut dyn Driver) -> Result<(), Error> {
        driver
            .execute(self.release.clone())
            .await
            .map_err(Error::db("releasing the lease"))?;
        Ok(())
    }
}

/// A lock wait that ran out: PostgreSQL 55P03 lock_not_available; MySQL 1205
/// ER_LOCK_WAIT_TIMEOUT (whose SQLSTATE, HY000, says nothing); SQLite's busy database.
fn is_lock_wait(error: &sqlx::Error) -> bool {
    error.as_database_error().is_some_and(|db| {
        db.code().as_deref() == Some("55P03")
            || db.message().starts_with("Lock wait timeout exceeded")
            || db.message().starts_with("database is locked")
    })
}

/// A duplicate key, or a table that already exists: another runner got there first.
fn is_creation_race(error: &sqlx::Error) -> bool {
    error.as_database_error().is_some_and(|db| {
        db.is_unique_violation() || // 42P07 duplicate table, 42710 duplicate object (its row type), 42S01 MySQL
        matches!(db.code().as_deref(), Some("42P07" | "42710" | "42S01"))
    })
}

/// A held lease: its statements, its heartbeat, and whether it was lost. Dropped without
/// [`HeldLease::release`] (an operation cut short), it gives the lease up on the pool in
/// the background rather than leaving it to expire.
pub(super) struct HeldLease {
    pub(super) sql: LeaseSql,
    pub(super) owner: String,
    pub(super) stale_after: Duration,
    lost: Arc<AtomicBool>,
    heartbeat: tokio::task::JoinHandle<()>,
    executor: PoolExecutor,
    released: bool,
}

impl HeldLease {
    /// Starts the heartbeat that keeps a lease just taken.
    pub(super) fn keep(
        sql: LeaseSql,
        owner: String,
        executor: PoolExecutor,
        stale_after: Duration,
    ) -> HeldLease {
        let lost = Arc::new(AtomicBool::new(false));
        let heartbeat = tokio::spawn(heartbeat(
            executor.clone(),
            sql.renew.clone(),
            stale_after,
            lost.clone(),
        ));
        HeldLease {
            sql,
            owner,
            stale_after,
            lost,
            heartbeat,
            executor,
            released: false,
        }
    }

    /// Whether the heartbeat lost the lease.
    pub(super) fn is_lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// Stops the heartbeat and gives the lease up.
    pub(super) async fn release(mut self, driver: &mut dyn Driver) -> Result<(), Error> {
        self.heartbeat.abort();
        self.released = true;
        self.sql.release(driver).await
    }
}

impl Drop for HeldLease {
    fn drop(&mut self) {
        self.heartbeat.abort();
        if self.released {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let release = (self.executor)(self.sql.release.clone());
            runtime.spawn(async move {
                if let Err(error) = release.await {
                    tracing::warn!(%error, "giving up the migration lease failed; it expires by itself");
                }
            });
        }
    }
}

/// Renews a lease every third of `stale_after` on a connection of its own; marks it `lost`
/// when it was taken over, or when no renewal succeeded for `stale_after`.
async fn heartbeat(
    executor: PoolExecutor,
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

/// A name for this runner that is unique across hosts and processes: host, process id and a
/// time-based suffix, restricted to `[A-Za-z0-9._:-]` so it is safe inside SQL quotes.
pub(super) fn owner_token() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .unwrap_or_else(|| "host".to_owned());
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let raw = format!("{}:{}:{nanos:x}", host.trim(), std::process::id());
    raw.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-'))
        .take(200)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_tokens_are_safe_and_distinct() {
        let a = owner_token();
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')),
            "{a}"
        );
        std::thread::sleep(Duration::from_millis(1));
        assert_ne!(a, owner_token());
    }

    #[test]
    fn statements_name_the_lock_table_and_owner() {
        let table = HistoryTable::parse("app.history").expect("valid");
        let sql = LeaseSql::new(
            &table,
            &crate::driver::TEST_SQL,
            "me",
            Duration::from_secs(30),
        );
        assert!(
            sql.take.contains("\"app\".\"history_lock\"")
                && sql.take.contains("'me'")
                && sql.take.contains("+ 30000")
        );
        assert!(sql.renew.ends_with("owner = 'me'"));
    }
}
