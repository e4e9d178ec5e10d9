//! MySQL and MariaDB: a `GET_LOCK` named after the history table, polled like PostgreSQL's
//! advisory lock, and every migration run one statement at a time.
//!
//! MySQL commits DDL implicitly, so a migration cannot be rolled back as a whole. Each
//! statement runs in its own transaction together with the update of the migration's
//! progress row: a DML statement and its progress commit together; a DDL statement commits
//! on its own just before its progress is recorded. A failure (or a crash) therefore leaves a
//! row that says how many statements were applied, and the migrator resumes or refuses from
//! there (see `Error::Dirty`).

use std::sync::Arc;
use std::time::Instant;

use sqlx::pool::PoolConnection;
use sqlx::{AssertSqlSafe, MySql, Row};

use super::{
    history_from_rows, micros, plain_sql_methods, pool_entry_points, run_code_method, sealed,
    select_history, BoxFuture, HistoryRow, Outcome, Pool, PoolExecutor, Session, StepError,
};
use crate::history::{AppliedMigration, HistoryTable};
use crate::migration::Migration;
use crate::migrator::{Migrator, Op};
use crate::operations::{MigrationStatus, Operation, PlannedStep};
use crate::report::Report;
use crate::statements::Dialect;
use crate::summary::{split_checksums_and_versions, Checksums, Summary};
use crate::Error;

impl sealed::Sealed for sqlx::MySqlPool {}

impl Pool for sqlx::MySqlPool {
    type Session = MySqlSession;

    pool_entry_points!();

    async fn open_session(&self) -> Result<MySqlSession, Error> {
        let conn = self
            .acquire()
            .await
            .map_err(Error::db("acquiring a connection from the pool"))?;
        Ok(MySqlSession {
            conn: Some(conn),
            pool: self.clone(),
            locked: false,
            in_transaction: false,
        })
    }
}

/// A MySQL/MariaDB session. See [`Session`].
#[doc(hidden)]
pub struct MySqlSession {
    conn: Option<PoolConnection<MySql>>,
    pool: sqlx::MySqlPool,
    locked: bool,
    /// Whether a transaction was begun for the next statement of a migration (in the same
    /// round trip as the previous bookkeeping statement).
    in_transaction: bool,
}

impl Drop for MySqlSession {
    fn drop(&mut self) {
        // As for PostgreSQL: never return a connection that may hold the lock to the pool.
        if self.locked {
            if let Some(conn) = self.conn.as_mut() {
                conn.close_on_drop();
            }
        }
    }
}

impl MySqlSession {
    fn conn(&mut self) -> &mut PoolConnection<MySql> {
        // Only `finish` takes the connection, and it consumes the session.
        self.conn.as_mut().expect("session used after finish")
    }
}

/// `GET_LOCK` names are server-wide and at most 64 characters: hash the database and table.
const LOCK_NAME: &str = "CONCAT('migrate_', SHA1(CONCAT(COALESCE(?, DATABASE()), '.', ?)))";

fn is_missing_table(error: &sqlx::Error) -> bool {
    // 42S02: ER_NO_SUCH_TABLE; 42000 with "Unknown database" for a missing schema.
    matches!(error, sqlx::Error::Database(db)
        if db.code().as_deref() == Some("42S02") || db.message().starts_with("Unknown database"))
}

impl Session for MySqlSession {
    async fn read_history(
        &mut self,
        table: &HistoryTable,
    ) -> Result<Option<Vec<AppliedMigration>>, Error> {
        let rows = sqlx::query_as::<_, HistoryRow>(AssertSqlSafe(select_history(table, '`')))
            .fetch_all(&mut **self.conn())
            .await;
        history_from_rows(rows, is_missing_table)
    }

    async fn history_summary(
        &mut self,
        table: &HistoryTable,
    ) -> Result<Option<Summary>, sqlx::Error> {
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
            table.quoted('`')
        );
        let row = match sqlx::query(AssertSqlSafe(sql))
            .fetch_one(&mut **self.conn())
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

    async fn try_lock(&mut self, table: &HistoryTable) -> Result<bool, Error> {
        let got: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT CAST(GET_LOCK({LOCK_NAME}, 0) AS SIGNED)"
        )))
        .bind(table.schema())
        .bind(table.name())
        .fetch_one(&mut **self.conn())
        .await
        .map_err(Error::db("taking the migration lock (GET_LOCK)"))?;
        self.locked = got == Some(1);
        Ok(self.locked)
    }

    async fn lock_holder(&mut self, table: &HistoryTable) -> Option<String> {
        let holder: Option<(i64, String, String, i64, Option<String>)> = sqlx::query_as(AssertSqlSafe(format!(
            "SELECT CAST(ID AS SIGNED), CAST(USER AS CHAR), CAST(HOST AS CHAR), CAST(TIME AS SIGNED), CAST(STATE AS CHAR) \
             FROM information_schema.PROCESSLIST WHERE ID = IS_USED_LOCK({LOCK_NAME})"
        )))
        .bind(table.schema())
        .bind(table.name())
        .fetch_optional(&mut **self.conn())
        .await
        .ok()
        .flatten();
        holder.map(|(id, user, host, seconds, state)| {
            let state = state.filter(|s| !s.is_empty()).unwrap_or_else(|| "idle".to_owned());
            format!("connection {id} of `{user}` from {host}, in its current state ({state}) for {seconds}s")
        })
    }

    async fn unlock(&mut self, table: &HistoryTable) -> Result<(), Error> {
        let released: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT CAST(RELEASE_LOCK({LOCK_NAME}) AS SIGNED)"
        )))
        .bind(table.schema())
        .bind(table.name())
        .fetch_one(&mut **self.conn())
        .await
        .map_err(Error::db("releasing the migration lock (RELEASE_LOCK)"))?;
        if released == Some(1) {
            self.locked = false;
        }
        Ok(())
    }

    async fn create_history(&mut self, table: &HistoryTable) -> Result<(), Error> {
        let conn = self.conn();
        if let Some(schema) = table.schema() {
            sqlx::raw_sql(AssertSqlSafe(format!(
                "CREATE DATABASE IF NOT EXISTS `{schema}`"
            )))
            .execute(&mut **conn)
            .await
            .map_err(Error::db("creating the history table's database"))?;
        }
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {} (
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
            )",
            table.quoted('`')
        );
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut **conn)
            .await
            .map_err(Error::db("creating the history table"))?;
        Ok(())
    }

    fn dialect(&self) -> Dialect {
        Dialect::MySql
    }

    fn error_position(&self, _error: &sqlx::Error) -> Option<usize> {
        None
    }

    fn transactional_ddl(&self) -> bool {
        false
    }

    async fn apply_in_transaction(
        &mut self,
        _table: &HistoryTable,
        migration: &'static Migration,
        _durable: bool,
    ) -> Result<Outcome, Error> {
        // Never called: `transactional_ddl` is false, so the migrator runs every MySQL
        // migration statement by statement.
        Err(Error::Database {
            context: "applying a migration in one transaction, which MySQL cannot do",
            source: sqlx::Error::Protocol(format!(
                "migration {} must run statement by statement",
                migration.version()
            )),
        })
    }

    fn completes_in_last_step(&self) -> bool {
        true
    }

    async fn start_unfinished(
        &mut self,
        table: &HistoryTable,
        migration: &'static Migration,
    ) -> Result<(), Error> {
        // The row commits on its own (autocommit) before the BEGIN of the first statement's
        // transaction, sent in the same round trip.
        let sql = format!(
            "{};\nBEGIN",
            self.history_row_sql(table, migration, false, "0")
        );
        self.execute_plain(sql)
            .await
            .map_err(Error::db("recording the start of a migration"))?;
        self.in_transaction = true;
        Ok(())
    }

    async fn step(
        &mut self,
        table: &HistoryTable,
        version: i64,
        statement: &str,
        applied: usize,
        progress: &[u8],
        complete: Option<(&'static Migration, Instant)>,
    ) -> Result<(), StepError> {
        // Each statement runs in a transaction of its own with the update of its progress:
        // three round trips are folded into the bookkeeping one that follows the statement
        // (`UPDATE; COMMIT; BEGIN` for the next statement, or for the last one the update
        // that marks the migration applied, then `COMMIT`). A DDL statement commits on its
        // own just before its progress is recorded, as before.
        if !std::mem::take(&mut self.in_transaction) {
            self.execute_plain("BEGIN".to_owned())
                .await
                .map_err(StepError::Record)?;
        }
        if let Err(error) = self.execute_plain(statement.to_owned()).await {
            if let Err(rollback) = self.execute_plain("ROLLBACK".to_owned()).await {
                tracing::warn!(error = %rollback, "rollback after a failed statement failed");
            }
            return Err(StepError::Statement(error));
        }
        let mut record = self.progress_sql(table, version, applied, progress);
        match complete {
            Some((migration, started)) => {
                record.push_str(";\n");
                record.push_str(&self.complete_sql(table, migration, micros(started)));
                record.push_str(";\nCOMMIT");
            }
            None => record.push_str(";\nCOMMIT;\nBEGIN"),
        }
        self.execute_plain(record)
            .await
            .map_err(StepError::Record)?;
        self.in_transaction = complete.is_none();
        Ok(())
    }

    async fn complete(
        &mut self,
        table: &HistoryTable,
        migration: &'static Migration,
        micros: i64,
    ) -> Result<(), Error> {
        // Without a statement (an empty file, or a resumed one whose statements were all
        // applied) the transaction begun for the next statement is still open: commit it.
        let mut sql = self.complete_sql(table, migration, micros);
        if std::mem::take(&mut self.in_transaction) {
            sql.push_str(";\nCOMMIT");
        }
        self.execute_plain(sql)
            .await
            .map_err(Error::db("recording a migration as applied"))?;
        Ok(())
    }

    fn quote(&self) -> char {
        '`'
    }

    fn now_ms(&self) -> &'static str {
        "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)"
    }

    fn text_literal(&self, text: &str) -> String {
        format!(
            "CONVERT(X'{}' USING utf8mb4)",
            crate::migration::hex(text.as_bytes())
        )
    }

    fn bytes_literal(&self, bytes: &[u8]) -> String {
        format!("X'{}'", crate::migration::hex(bytes))
    }

    fn cast_text(&self, expr: &str) -> String {
        format!("CAST({expr} AS CHAR)")
    }

    plain_sql_methods!();
    run_code_method!("BEGIN");

    async fn finish(mut self, dirty: bool) {
        let Some(conn) = self.conn.take() else { return };
        if dirty || self.locked {
            if let Err(error) = conn.close().await {
                tracing::debug!(%error, "closing the migration connection failed");
            }
        }
    }
}
