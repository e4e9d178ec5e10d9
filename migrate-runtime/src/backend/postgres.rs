//! PostgreSQL: a session advisory lock on one dedicated connection (or a lease, see
//! `lease.rs`), and one transaction per migration unless it says `-- migrate:no-transaction`.
//!
//! Every statement goes through the simple query protocol with literal values: no prepared
//! statements, so the backend works through PgBouncer in transaction mode, and each
//! bookkeeping statement is one round trip.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgDatabaseError, PgErrorPosition};
use sqlx::{AssertSqlSafe, FromRow, Postgres, Row};

use super::{
    char_to_byte, history_from_rows, locate, migration_error, pg_literal as lit, plain_sql_methods,
    pool_entry_points, run_code_method, sealed, select_history, BoxFuture, HistoryRow, Outcome,
    Pool, PoolExecutor, Session, StepError, Wait,
};
use crate::history::{AppliedMigration, HistoryTable};
use crate::migration::Migration;
use crate::migrator::{Migrator, Op};
use crate::operations::{MigrationStatus, Operation, PlannedStep};
use crate::report::Report;
use crate::statements::Dialect;
use crate::summary::{parse_versions, Checksums, Summary};
use crate::Error;

impl sealed::Sealed for sqlx::PgPool {}

impl Pool for sqlx::PgPool {
    type Session = PgSession;

    pool_entry_points!();

    async fn open_session(&self) -> Result<PgSession, Error> {
        let conn = self
            .acquire()
            .await
            .map_err(Error::db("acquiring a connection from the pool"))?;
        Ok(PgSession {
            conn: Some(conn),
            pool: self.clone(),
            locked: false,
        })
    }
}

/// A PostgreSQL session. See [`Session`].
#[doc(hidden)]
pub struct PgSession {
    conn: Option<PoolConnection<Postgres>>,
    pool: sqlx::PgPool,
    locked: bool,
}

impl Drop for PgSession {
    fn drop(&mut self) {
        // Dropped while holding the lock (an error in unlock, a panic, a cancelled future):
        // the connection must not go back to the pool with the lock still held.
        if self.locked {
            if let Some(conn) = self.conn.as_mut() {
                conn.close_on_drop();
            }
        }
    }
}

fn position(error: &sqlx::Error) -> Option<usize> {
    let sqlx::Error::Database(db) = error else {
        return None;
    };
    match db.try_downcast_ref::<PgDatabaseError>()?.position()? {
        PgErrorPosition::Original(position) => Some(position),
        PgErrorPosition::Internal { .. } => None,
    }
}

fn is_missing_table(error: &sqlx::Error) -> bool {
    // 42P01 undefined_table, 3F000 invalid_schema_name
    matches!(error, sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("42P01" | "3F000")))
}

impl PgSession {
    fn conn(&mut self) -> &mut PoolConnection<Postgres> {
        // Only `finish` takes the connection, and it consumes the session.
        self.conn.as_mut().expect("session used after finish")
    }

    async fn plain_bool(&mut self, sql: String) -> Result<Option<bool>, sqlx::Error> {
        let row = sqlx::raw_sql(AssertSqlSafe(sql))
            .fetch_optional(&mut **self.conn())
            .await?;
        row.map(|row| row.try_get(0)).transpose()
    }
}

impl Session for PgSession {
    async fn read_history(
        &mut self,
        table: &HistoryTable,
    ) -> Result<Option<Vec<AppliedMigration>>, Error> {
        // Simple protocol (text rows), decoded by the same tuple as the other backends.
        let rows = sqlx::raw_sql(AssertSqlSafe(select_history(table, '"')))
            .fetch_all(&mut **self.conn())
            .await
            .and_then(|rows| rows.iter().map(HistoryRow::from_row).collect());
        history_from_rows(rows, is_missing_table)
    }

    async fn history_summary(
        &mut self,
        table: &HistoryTable,
    ) -> Result<Option<Summary>, sqlx::Error> {
        // One pass over the rows in the order of the heap (an ordered aggregate or an index
        // scan would cost more than everything else here), with the versions and the hash of
        // the checksums in that same order. The hash keeps the row small: on the simple
        // protocol the checksums themselves would come back as hex text.
        let sql = format!(
            "SELECT count(*), bool_and(success AND octet_length(checksum) = 32), \
             string_agg(version::text, ','), sha256(string_agg(checksum, ''::bytea)) FROM {}",
            table.quoted('"')
        );
        let row = match sqlx::raw_sql(AssertSqlSafe(sql))
            .fetch_one(&mut **self.conn())
            .await
        {
            Ok(row) => row,
            Err(error) if is_missing_table(&error) => return Ok(None),
            Err(error) => return Err(error),
        };
        Ok(Some(Summary {
            rows: row.try_get(0)?,
            all_applied: row.try_get(1)?,
            versions: row
                .try_get::<Option<String>, _>(2)?
                .and_then(|v| parse_versions(&v)),
            checksums: row.try_get::<Option<Vec<u8>>, _>(3)?.map(Checksums::Sha256),
        }))
    }

    async fn try_lock(&mut self, table: &HistoryTable) -> Result<bool, Error> {
        let locked = self
            .plain_bool(format!("SELECT pg_try_advisory_lock({})", table.lock_key()))
            .await
            .map_err(Error::db("taking the advisory lock"))?;
        self.locked = locked == Some(true);
        Ok(self.locked)
    }

    async fn wait_for_unlock(&mut self, table: &HistoryTable, max: Duration) -> Wait {
        // A shared lock on the same key is granted as soon as the holder releases its
        // exclusive one; it is let go in the same statement. The wait is bounded by a
        // `lock_timeout` local to this statement's implicit transaction, rather than
        // blocking for good: a session waiting inside a statement keeps a snapshot, which a
        // `CREATE INDEX CONCURRENTLY` of the holder waits for, so each wait ends by itself
        // and delays such an index by at most `max`.
        let key = table.lock_key();
        let sql = format!(
            "SET LOCAL lock_timeout = '{}ms'; \
             SELECT pg_advisory_lock_shared({key}), pg_advisory_unlock_shared({key})",
            max.as_millis().clamp(1, 60_000)
        );
        let started = Instant::now();
        let result = sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut **self.conn())
            .await;
        match result {
            Ok(_) => Wait::Released,
            // 55P03 lock_not_available: the holder still holds it.
            Err(sqlx::Error::Database(db)) if db.code().as_deref() == Some("55P03") => {
                Wait::StillHeld
            }
            Err(error) => {
                tracing::debug!(%error, "waiting for the advisory lock failed; sleeping instead");
                tokio::time::sleep(max.saturating_sub(started.elapsed())).await;
                Wait::Unknown
            }
        }
    }

    async fn lock_holder(&mut self, table: &HistoryTable) -> Option<String> {
        let key = table.lock_key();
        // Advisory locks are per database. A bigint key is stored as classid (high half),
        // objid (low half), objsubid 1. PostgreSQL does not record when an advisory lock was
        // granted; the holder's session age and state are the closest it can tell.
        let sql = format!(
            "SELECT a.pid, a.application_name, EXTRACT(EPOCH FROM now() - a.backend_start)::float8, a.state \
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
               AND l.classid::bigint = (({key}::bigint >> 32) & 4294967295) \
               AND l.objid::bigint = ({key}::bigint & 4294967295) \
             LIMIT 1"
        );
        let row = sqlx::raw_sql(AssertSqlSafe(sql))
            .fetch_optional(&mut **self.conn())
            .await
            .ok()??;
        let pid: i32 = row.try_get(0).ok()?;
        let application: String = row.try_get(1).ok()?;
        let seconds: f64 = row.try_get(2).ok()?;
        let state: Option<String> = row.try_get(3).ok()?;
        let application = if application.is_empty() {
            "(no application_name)".to_owned()
        } else {
            format!("`{application}`")
        };
        let state = state.unwrap_or_else(|| "unknown".to_owned());
        Some(format!("backend pid {pid}, application {application}, connected for {seconds:.0}s, state {state}"))
    }

    async fn unlock(&mut self, table: &HistoryTable) -> Result<(), Error> {
        let released = self
            .plain_bool(format!("SELECT pg_advisory_unlock({})", table.lock_key()))
            .await
            .map_err(Error::db("releasing the advisory lock"))?;
        if released == Some(true) {
            self.locked = false;
        }
        Ok(())
    }

    async fn create_history(&mut self, table: &HistoryTable) -> Result<(), Error> {
        if let Some(schema) = table.schema() {
            self.execute_plain(format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))
                .await
                .map_err(Error::db("creating the history table's schema"))?;
        }
        let sql = format!(
            "CREATE TABLE IF NOT EXISTS {} (
                version BIGINT PRIMARY KEY,
                name TEXT NOT NULL,
                checksum BYTEA NOT NULL,
                success BOOLEAN NOT NULL,
                applied_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                duration_us BIGINT NOT NULL,
                down_script TEXT,
                statements_applied BIGINT NOT NULL DEFAULT 0,
                progress_checksum BYTEA,
                error TEXT
            )",
            table.quoted('"')
        );
        self.execute_plain(sql)
            .await
            .map_err(Error::db("creating the history table"))?;
        Ok(())
    }

    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn error_position(&self, error: &sqlx::Error) -> Option<usize> {
        position(error)
    }

    fn transactional_ddl(&self) -> bool {
        true
    }

    async fn apply_in_transaction(
        &mut self,
        table: &HistoryTable,
        migration: &'static Migration,
        durable: bool,
    ) -> Result<Outcome, Error> {
        let script = migration.up();
        let started = Instant::now();
        // One simple-query message, one round trip: BEGIN, the file, its history row (with the
        // duration measured by the server since BEGIN), COMMIT. PostgreSQL stops at the first
        // error, leaving the transaction aborted; ROLLBACK then ends it. The newline before
        // the row's INSERT ends a trailing `--` comment of the file.
        //
        // Every migration of a run but the last commits asynchronously: the commit does not
        // wait for the WAL to reach the disk, which is most of a small migration's time. A
        // server crash can then lose the last few committed migrations, each together with
        // its history row, so the next run applies them again; the synchronous commit of the
        // last migration flushes all earlier WAL, so a finished run is durable.
        let begin = if durable {
            "BEGIN;\n"
        } else {
            "BEGIN;\nSET LOCAL synchronous_commit TO OFF;\n"
        };
        let message = format!(
            "{begin}{}\n;\n{};\nCOMMIT;",
            script.sql(),
            self.history_row_sql(
                table,
                migration,
                true,
                "(EXTRACT(EPOCH FROM clock_timestamp() - now()) * 1000000)::BIGINT"
            )
        );
        if let Err(error) = self.execute_plain(message).await {
            let location = position(&error)
                .and_then(|p| p.checked_sub(begin.chars().count()))
                .and_then(|p| char_to_byte(script.sql(), p))
                .filter(|byte| *byte < script.sql().len())
                .map(|byte| locate(script.sql(), Dialect::Postgres, byte));
            if let Err(rollback) = self.execute_plain("ROLLBACK".to_owned()).await {
                tracing::warn!(error = %rollback, "rollback after a failed migration failed; the server discards the transaction");
            }
            return Err(migration_error(migration, script, error, true, location));
        }
        Ok(Outcome::Applied(started.elapsed()))
    }

    async fn step(
        &mut self,
        table: &HistoryTable,
        version: i64,
        statement: &str,
        applied: usize,
        progress: &[u8],
        _complete: Option<(&'static Migration, Instant)>,
    ) -> Result<(), StepError> {
        // Outside a transaction: `no-transaction` statements such as CREATE INDEX
        // CONCURRENTLY refuse to run in one.
        self.execute_plain(statement.to_owned())
            .await
            .map_err(StepError::Statement)?;
        let record = self.progress_sql(table, version, applied, progress);
        self.execute_plain(record)
            .await
            .map_err(StepError::Record)?;
        Ok(())
    }

    fn quote(&self) -> char {
        '"'
    }

    fn now_ms(&self) -> &'static str {
        "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT"
    }

    fn text_literal(&self, text: &str) -> String {
        lit::text(text)
    }

    fn bytes_literal(&self, bytes: &[u8]) -> String {
        lit::bytes(bytes)
    }

    fn cast_text(&self, expr: &str) -> String {
        format!("CAST({expr} AS TEXT)")
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
