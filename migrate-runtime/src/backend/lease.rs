//! The lease lock: a row in a lock table (`<history table>_lock`) that names its owner and
//! expires unless its owner's heartbeat extends it. For connection poolers in transaction
//! mode (PgBouncer), where a session lock would be taken on whichever server connection runs
//! the statement, and for databases without advisory locks.
//!
//! Every statement is plain SQL with literals, so that it runs through the simple query
//! protocol (one message, no prepared statement). Times come from the database's clock, so
//! runners on hosts with skewed clocks agree on when a lease expires.

use std::time::Duration;

use crate::history::HistoryTable;

/// The statements of the lease protocol for one lock table and one owner.
#[doc(hidden)]
pub struct LeaseSql {
    /// Creates the lock table.
    pub create: String,
    /// Deletes an expired lease.
    pub expire: String,
    /// Inserts ours; fails with a duplicate key while another is held.
    pub take: String,
    /// Extends ours; affects no row once it was taken over.
    pub renew: String,
    /// Deletes ours.
    pub release: String,
    /// Reads the holder and the milliseconds its lease has left.
    pub holder: String,
}

impl LeaseSql {
    /// `quote` quotes identifiers; `now_ms` is an SQL expression for the database's clock in
    /// milliseconds since the epoch; `owner` must come from [`owner_token`] (safe in quotes).
    pub fn new(
        table: &HistoryTable,
        quote: char,
        now_ms: &str,
        owner: &str,
        ttl: Duration,
    ) -> LeaseSql {
        let lock = table.lock_table().quoted(quote);
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
            holder: format!("SELECT owner, expires_ms - {now_ms} FROM {lock} WHERE id = 1"),
        }
    }
}

/// A name for this runner that is unique across hosts and processes: host, process id and a
/// time-based suffix, restricted to `[A-Za-z0-9._:-]` so it is safe inside SQL quotes.
pub(crate) fn owner_token() -> String {
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
        let sql = LeaseSql::new(&table, '"', "NOW_MS", "me", Duration::from_secs(30));
        assert!(
            sql.take.contains("\"app\".\"history_lock\"")
                && sql.take.contains("'me'")
                && sql.take.contains("+ 30000")
        );
        assert!(sql.renew.ends_with("owner = 'me'"));
    }
}
