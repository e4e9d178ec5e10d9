//! MySQL and MariaDB: DDL commits implicitly, so a migration cannot be rolled back as a
//! whole, and every migration runs one statement at a time.
//!
//! Each statement (or a group of consecutive data statements) runs in one transaction
//! together with the update of the migration's progress row, in one message: data
//! statements and their progress commit together; a DDL statement commits on its own just
//! before its progress is recorded. A failure (or a crash) therefore leaves a row that says
//! how many statements were applied, and the migrator resumes or refuses from there (see
//! `Error::Dirty`).

use std::time::Duration;

use sqlx::{AssertSqlSafe, MySql, Row};

use super::conn::Conn;
use super::sql::{hex_literal, no_position, no_statement};
use super::{
    history_from_rows, run_code_on, sealed, step_plainly, BoxFuture, CodeError, Driver, HistoryRow,
    Pool, PoolExecutor, SessionLock, Sql, Step, StepError, Steps, TextRows, WholeScripts,
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
    revert_column: "revert_checksum VARBINARY(32)",
    is_missing_column,
    // A TIMESTAMP is stored in UTC but read in the session's time zone; UNIX_TIMESTAMP
    // reads it as stored, and adding it to the epoch as a DATETIME converts nothing.
    applied_at_utc: "DATE_FORMAT(CAST('1970-01-01 00:00:00' AS DATETIME(6)) \
                     + INTERVAL UNIX_TIMESTAMP(applied_at) * 1000000 MICROSECOND, \
                     '%Y-%m-%dT%H:%i:%s.%fZ')",
    error_position: no_position,
    for_update: " FOR UPDATE",
    steps: Steps::Together,
    bounded_lock_wait: no_statement,
    bounded_idle,
};

/// `wait_timeout` for the session (MySQL has no bound on idleness inside a transaction
/// alone); the connection that ran a migration is closed afterwards, so it goes no further.
fn bounded_idle(idle: Duration) -> String {
    format!("SET SESSION wait_timeout = {};\n", idle.as_secs().max(1))
}

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
            }) as Box<dyn Driver>)
        })
    }
}

/// A MySQL/MariaDB connection. See [`Driver`].
struct MySqlDriver {
    conn: Conn<MySql>,
}

fn is_missing_table(error: &sqlx::Error) -> bool {
    // 42S02: ER_NO_SUCH_TABLE; 42000 with "Unknown database" for a missing schema.
    matches!(error, sqlx::Error::Database(db)
        if db.code().as_deref() == Some("42S02") || db.message().starts_with("Unknown database"))
}

/// Whether `error` says that a column does not exist (42S22: ER_BAD_FIELD_ERROR).
fn is_missing_column(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.code().as_deref() == Some("42S22"))
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

    /// Runs one step, each in one message, so that a runner that stalls between messages
    /// holds no lock. A statement and its progress share a transaction: a data statement
    /// commits with its progress; a DDL statement commits on its own, just before. Under a
    /// lease the fence runs before the statements too: a DDL statement cannot be fenced by
    /// its transaction, and runs only if the lease was this runner's as the message started.
    async fn step_in_messages(&mut self, step: Step<'_>) -> Result<(), StepError> {
        let run = match step {
            Step::Start { insert } => {
                return self
                    .conn
                    .execute(insert)
                    .await
                    .map(drop)
                    .map_err(StepError::Record)
            }
            Step::Complete(complete) => {
                return self
                    .conn
                    .execute(complete.sql())
                    .await
                    .map(drop)
                    .map_err(StepError::Record)
            }
            Step::Run(run) if run.shape == Steps::Alone => {
                return step_plainly(self, Step::Run(run)).await
            }
            Step::Run(run) => run,
        };
        let fence = run
            .fence
            .map(|fence| format!("{fence};\n"))
            .unwrap_or_default();
        let message = format!(
            "{fence}BEGIN;\n{}\n;\n{};\nCOMMIT",
            run.script(),
            run.bookkeeping()
        );
        if let Err(error) = self.conn.execute(message).await {
            if let Err(rollback) = self.conn.execute("ROLLBACK".to_owned()).await {
                tracing::warn!(error = %rollback, "rollback after a failed statement failed");
            }
            return Err(StepError::Statement {
                error,
                position: None,
            });
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

    fn read_history(
        &mut self,
        select: String,
    ) -> BoxFuture<'_, Result<Option<Vec<AppliedMigration>>, Error>> {
        Box::pin(async move {
            let rows = sqlx::query_as::<_, HistoryRow>(AssertSqlSafe(select))
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
        Box::pin(self.step_in_messages(step))
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
