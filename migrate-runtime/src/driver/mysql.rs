//! MySQL and MariaDB: DDL commits implicitly, so a migration cannot be rolled back as a
//! whole, and every migration runs one statement at a time.
//!
//! Each statement runs in its own transaction together with the update of the migration's
//! progress row: a DML statement and its progress commit together; a DDL statement commits
//! on its own just before its progress is recorded. A failure (or a crash) therefore leaves a
//! row that says how many statements were applied, and the migrator resumes or refuses from
//! there (see `Error::Dirty`).

use std::time::Duration;

use sqlx::{AssertSqlSafe, MySql, Row};

use super::conn::Conn;
use super::sql::{hex_literal, no_position};
use super::{
    history_from_rows, run_code_on, sealed, BoxFuture, CodeError, Driver, HistoryRow, Pool,
    PoolExecutor, SessionLock, Sql, Step, StepError, TextRows, WholeScripts,
};
use crate::code::{Backend, Code};
use crate::history::{AppliedMigration, HistoryTable};
use crate::migration::hex;
use crate::statements::Dialect;
use crate::summary::{split_checksums_and_versions, Checksums, Summary};
use crate::Error;

static SQL: Sql = Sql {
    backend: Backend::MySql,
    dialect: Dialect::MySql,
    quote: '`',
    now_ms: "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)",
    text,
    bytes: hex_literal,
    text_type: "CHAR",
    create_schema: Some("CREATE DATABASE IF NOT EXISTS"),
    history_columns: "
                version BIGINT PRIMARY KEY,
                name VARCHAR(255) NOT NULL,
                checksum VARBINARY(32) NOT NULL,
                success BOOLEAN NOT NULL,
                applied_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
                duration_us BIGINT NOT NULL,
                down_script LONGTEXT,
                statements_applied BIGINT NOT NULL DEFAULT 0,
                progress_checksum VARBINARY(32),
                error TEXT
            ",
    // A TIMESTAMP is stored in UTC but read in the session's time zone; UNIX_TIMESTAMP
    // reads it as stored, and adding it to the epoch as a DATETIME converts nothing.
    applied_at_utc: "DATE_FORMAT(CAST('1970-01-01 00:00:00' AS DATETIME(6)) \
                     + INTERVAL UNIX_TIMESTAMP(applied_at) * 1000000 MICROSECOND, \
                     '%Y-%m-%dT%H:%i:%s.%fZ')",
    error_position: no_position,
};

/// A string literal that no SQL mode can misread: the UTF-8 bytes in hex.
fn text(text: &str) -> String {
    format!("CONVERT(X'{}' USING utf8mb4)", hex(text.as_bytes()))
}

impl sealed::Sealed for sqlx::MySqlPool {}

impl Pool for sqlx::MySqlPool {
    fn driver(&self) -> BoxFuture<'_, Result<Box<dyn Driver>, Error>> {
        Box::pin(async move {
            Ok(Box::new(MySqlDriver {
                conn: Conn::acquire(self).await?,
                in_transaction: false,
            }) as Box<dyn Driver>)
        })
    }
}

/// A MySQL/MariaDB connection. See [`Driver`].
struct MySqlDriver {
    conn: Conn<MySql>,
    /// Whether a transaction was begun for the next statement of a migration (in the same
    /// round trip as the previous bookkeeping statement).
    in_transaction: bool,
}

fn is_missing_table(error: &sqlx::Error) -> bool {
    // 42S02: ER_NO_SUCH_TABLE; 42000 with "Unknown database" for a missing schema.
    matches!(error, sqlx::Error::Database(db)
        if db.code().as_deref() == Some("42S02") || db.message().starts_with("Unknown database"))
}

impl MySqlDriver {
    async fn summary(&mut self, table: &HistoryTable) -> Result<Option<Summary>, sqlx::Error> {
        // InnoDB reads a table in primary key order, so no sort is needed (and the versions
        // and checksums come in the same order whatever it is). One GROUP_CONCAT of both
        // costs less than one of each. MySQL truncates a GROUP_CONCAT to
        // `group_concat_max_len` bytes, 1024 by default: the hint raises it for this
        // statement on MySQL (MariaDB, whose default is 1 MiB, takes the hint for a comment).
        // A truncated summary does not match, and the whole history is read.
        let sql = format!(
            "SELECT /*+ SET_VAR(group_concat_max_len = 4294967295) */ COUNT(*), \
             CAST(MIN(success AND LENGTH(checksum) = 32) AS SIGNED), \
             GROUP_CONCAT(checksum, version) FROM {}",
            SQL.table(table)
        );
        let row = match sqlx::query(AssertSqlSafe(sql))
            .fetch_one(self.conn.get())
            .await
        {
            Ok(row) => row,
            Err(error) if is_missing_table(&error) => return Ok(None),
            Err(error) => return Err(error),
        };
        let all_applied: Option<i64> = row.try_get(1)?;
        let concatenated: Option<Vec<u8>> = row.try_get(2)?;
        let split = concatenated.and_then(|bytes| split_checksums_and_versions(&bytes));
        let (versions, checksums) = split.unzip();
        Ok(Some(Summary {
            rows: row.try_get(0)?,
            all_applied: all_applied.map(|ok| ok == 1),
            versions,
            checksums: checksums.map(Checksums::Concatenated),
        }))
    }

    /// Each statement runs in a transaction of its own with the update of its progress:
    /// three round trips are folded into the bookkeeping one that follows the statement
    /// (`UPDATE; COMMIT; BEGIN` for the next statement, or for the last one the update that
    /// marks the migration applied, then `COMMIT`). A DDL statement commits on its own just
    /// before its progress is recorded.
    async fn step_folded(&mut self, step: Step<'_>) -> Result<(), StepError> {
        match step {
            Step::Start { insert } => {
                // The row commits on its own (autocommit) before the BEGIN of the first
                // statement's transaction, sent in the same round trip.
                self.conn
                    .execute(format!("{insert};\nBEGIN"))
                    .await
                    .map_err(StepError::Record)?;
                self.in_transaction = true;
            }
            Step::Complete(complete) => {
                let mut complete = complete.sql();
                // The transaction begun for the next statement is still open: commit it.
                if std::mem::take(&mut self.in_transaction) {
                    complete.push_str(";\nCOMMIT");
                }
                self.conn
                    .execute(complete)
                    .await
                    .map_err(StepError::Record)?;
            }
            Step::Statement {
                statement,
                mut progress,
                complete,
            } => {
                if !std::mem::take(&mut self.in_transaction) {
                    self.conn
                        .execute("BEGIN".to_owned())
                        .await
                        .map_err(StepError::Record)?;
                }
                if let Err(error) = self.conn.execute(statement.to_owned()).await {
                    if let Err(rollback) = self.conn.execute("ROLLBACK".to_owned()).await {
                        tracing::warn!(error = %rollback, "rollback after a failed statement failed");
                    }
                    return Err(StepError::Statement(error));
                }
                let last = complete.is_some();
                match complete {
                    Some(complete) => {
                        progress.push_str(";\n");
                        progress.push_str(&complete.sql());
                        progress.push_str(";\nCOMMIT");
                    }
                    None => progress.push_str(";\nCOMMIT;\nBEGIN"),
                }
                self.conn
                    .execute(progress)
                    .await
                    .map_err(StepError::Record)?;
                self.in_transaction = !last;
            }
        }
        Ok(())
    }
}

impl Driver for MySqlDriver {
    fn sql(&self) -> &'static Sql {
        &SQL
    }

    fn execute(&mut self, sql: String) -> BoxFuture<'_, Result<u64, sqlx::Error>> {
        Box::pin(self.conn.execute(sql))
    }

    fn fetch_text(&mut self, sql: String) -> BoxFuture<'_, Result<TextRows, sqlx::Error>> {
        Box::pin(self.conn.fetch_text(sql))
    }

    fn read_history<'a>(
        &'a mut self,
        table: &'a HistoryTable,
    ) -> BoxFuture<'a, Result<Option<Vec<AppliedMigration>>, Error>> {
        Box::pin(async move {
            let rows = sqlx::query_as::<_, HistoryRow>(AssertSqlSafe(SQL.select_history(table)))
                .fetch_all(self.conn.get())
                .await;
            history_from_rows(rows, is_missing_table)
        })
    }

    fn history_summary<'a>(
        &'a mut self,
        table: &'a HistoryTable,
    ) -> BoxFuture<'a, Result<Option<Summary>, sqlx::Error>> {
        Box::pin(self.summary(table))
    }

    fn whole_scripts(&mut self) -> Option<&mut dyn WholeScripts> {
        None
    }

    fn step<'a>(&'a mut self, step: Step<'a>) -> BoxFuture<'a, Result<(), StepError>> {
        Box::pin(self.step_folded(step))
    }

    fn run_code(
        &mut self,
        code: &'static Code,
        recheck: Option<String>,
        record: String,
    ) -> BoxFuture<'_, Result<Option<Duration>, CodeError>> {
        Box::pin(run_code_on::<MySql>(
            self.conn.get(),
            "BEGIN",
            code,
            recheck,
            record,
        ))
    }

    fn session_lock(&self) -> SessionLock {
        SessionLock::Named
    }

    fn pool_executor(&self) -> PoolExecutor {
        self.conn.pool_executor()
    }

    fn finish(mut self: Box<Self>, dirty: bool) -> BoxFuture<'static, ()> {
        self.conn.finish(dirty)
    }
}
