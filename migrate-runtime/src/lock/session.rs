//! The session locks of each database, held by the migration connection and released by
//! the database when the connection or process dies: PostgreSQL's advisory lock, MySQL's
//! `GET_LOCK`, and an operating system lock on a file beside a SQLite database.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::driver::{first_text, Driver, SessionLock};
use crate::history::HistoryTable;
use crate::Error;

/// A session lock while held.
pub(super) enum Held {
    /// In the database, on the migration connection.
    InDatabase,
    /// The open, locked lock file (closing it releases the lock); `None` for an in-memory
    /// SQLite database, which needs none.
    File(Option<File>),
}

/// How a [`wait_for_unlock`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Wait {
    /// The lock was free, or was released during the wait.
    Released,
    /// The wait ran out with the lock still held: nothing to check before the next one.
    StillHeld,
    /// The database cannot tell (it slept).
    Unknown,
}

/// `GET_LOCK` names are server-wide and at most 64 characters: hash the database and table.
/// The parts are validated identifiers, safe in quotes.
fn mysql_lock_name(table: &HistoryTable) -> String {
    let schema = table
        .schema()
        .map_or_else(|| "NULL".to_owned(), |s| format!("'{s}'"));
    format!(
        "CONCAT('migrate_', SHA1(CONCAT(COALESCE({schema}, DATABASE()), '.', '{}')))",
        table.name()
    )
}

/// One attempt at the lock: `Some` when this connection now holds it.
pub(super) async fn try_lock(
    driver: &mut dyn Driver,
    table: &HistoryTable,
) -> Result<Option<Held>, Error> {
    match driver.session_lock() {
        SessionLock::Advisory => {
            let sql = format!("SELECT pg_try_advisory_lock({})::text", table.lock_key());
            let got = first_text(driver, sql)
                .await
                .map_err(Error::db("taking the advisory lock"))?;
            Ok((got.as_deref() == Some("true")).then_some(Held::InDatabase))
        }
        SessionLock::Named => {
            let sql = format!(
                "SELECT CAST(GET_LOCK({}, 0) AS CHAR)",
                mysql_lock_name(table)
            );
            let got = first_text(driver, sql)
                .await
                .map_err(Error::db("taking the migration lock (GET_LOCK)"))?;
            Ok((got.as_deref() == Some("1")).then_some(Held::InDatabase))
        }
        SessionLock::File(None) => Ok(Some(Held::File(None))),
        SessionLock::File(Some(path)) => lock_file(&path),
    }
}

fn lock_file(path: &Path) -> Result<Option<Held>, Error> {
    let io_error = |source| Error::Io {
        context: format!("locking `{}`", path.display()),
        error: source,
    };
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(io_error)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(Held::File(Some(file)))),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(source)) => Err(io_error(source)),
    }
}

/// Waits until the holder of the lock releases it, or for `max`, whichever comes first (so
/// that a waiting runner learns at once that the holder is done). Where the database cannot
/// wait for its lock, this sleeps for `max`.
pub(super) async fn wait_for_unlock(
    driver: &mut dyn Driver,
    table: &HistoryTable,
    max: Duration,
) -> Wait {
    if driver.session_lock() != SessionLock::Advisory {
        tokio::time::sleep(max).await;
        return Wait::Unknown;
    }
    // A shared lock on the same key is granted as soon as the holder releases its exclusive
    // one; it is let go in the same statement. The wait is bounded by a `lock_timeout` local
    // to this statement's implicit transaction, rather than blocking for good: a session
    // waiting inside a statement keeps a snapshot, which a `CREATE INDEX CONCURRENTLY` of
    // the holder waits for, so each wait ends by itself and delays such an index by at most
    // `max`.
    let key = table.lock_key();
    let sql = format!(
        "SET LOCAL lock_timeout = '{}ms'; \
         SELECT pg_advisory_lock_shared({key}), pg_advisory_unlock_shared({key})",
        max.as_millis().clamp(1, 60_000)
    );
    let started = Instant::now();
    match driver.execute(sql).await {
        Ok(_) => Wait::Released,
        // 55P03 lock_not_available: the holder still holds it.
        Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("55P03") => Wait::StillHeld,
        Err(error) => {
            tracing::debug!(%error, "waiting for the advisory lock failed; sleeping instead");
            tokio::time::sleep(max.saturating_sub(started.elapsed())).await;
            Wait::Unknown
        }
    }
}

/// Who holds the lock, when the database can tell.
pub(super) async fn holder(driver: &mut dyn Driver, table: &HistoryTable) -> Option<String> {
    match driver.session_lock() {
        SessionLock::Advisory => {
            let key = table.lock_key();
            // Advisory locks are per database. A bigint key is stored as classid (high half),
            // objid (low half), objsubid 1. PostgreSQL does not record when an advisory lock
            // was granted; the holder's session age and state are the closest it can tell.
            let sql = format!(
                "SELECT a.pid::text, a.application_name, \
                   round(EXTRACT(EPOCH FROM now() - a.backend_start))::bigint::text, a.state \
                 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
                   AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
                   AND l.classid::bigint = (({key}::bigint >> 32) & 4294967295) \
                   AND l.objid::bigint = ({key}::bigint & 4294967295) \
                 LIMIT 1"
            );
            let row = driver.fetch_text(sql).await.ok()?.into_iter().next()?;
            let [pid, application, seconds, state] = <[Option<String>; 4]>::try_from(row).ok()?;
            let application = match application.unwrap_or_default() {
                a if a.is_empty() => "(no application_name)".to_owned(),
                a => format!("`{a}`"),
            };
            let state = state.unwrap_or_else(|| "unknown".to_owned());
            Some(format!(
                "backend pid {}, application {application}, connected for {}s, state {state}",
                pid?, seconds?
            ))
        }
        SessionLock::Named => {
            let sql = format!(
                "SELECT CAST(ID AS CHAR), CAST(USER AS CHAR), CAST(HOST AS CHAR), CAST(TIME AS CHAR), CAST(STATE AS CHAR) \
                 FROM information_schema.PROCESSLIST WHERE ID = IS_USED_LOCK({})",
                mysql_lock_name(table)
            );
            let row = driver.fetch_text(sql).await.ok()?.into_iter().next()?;
            let [id, user, host, seconds, state] = <[Option<String>; 5]>::try_from(row).ok()?;
            let state = state
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "idle".to_owned());
            Some(format!(
                "connection {} of `{}` from {}, in its current state ({state}) for {}s",
                id?, user?, host?, seconds?
            ))
        }
        SessionLock::File(path) => {
            path.map(|path| format!("another process (lock file `{}`)", path.display()))
        }
    }
}

/// Releases the lock; `false` when the database says this connection did not hold it.
pub(super) async fn unlock(
    driver: &mut dyn Driver,
    table: &HistoryTable,
    held: Held,
) -> Result<bool, Error> {
    match (held, driver.session_lock()) {
        // Closing the file releases the lock.
        (Held::File(file), _) => {
            drop(file);
            Ok(true)
        }
        (Held::InDatabase, SessionLock::Advisory) => {
            let sql = format!("SELECT pg_advisory_unlock({})::text", table.lock_key());
            let released = first_text(driver, sql)
                .await
                .map_err(Error::db("releasing the advisory lock"))?;
            Ok(released.as_deref() == Some("true"))
        }
        (Held::InDatabase, _) => {
            let sql = format!(
                "SELECT CAST(RELEASE_LOCK({}) AS CHAR)",
                mysql_lock_name(table)
            );
            let released = first_text(driver, sql)
                .await
                .map_err(Error::db("releasing the migration lock (RELEASE_LOCK)"))?;
            Ok(released.as_deref() == Some("1"))
        }
    }
}
