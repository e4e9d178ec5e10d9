//! PostgreSQL: a session advisory lock on one dedicated connection, and one transaction per
//! migration unless it says `-- migrate:no-transaction`.

use std::time::Instant;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgDatabaseError, PgErrorPosition};
use sqlx::{AssertSqlSafe, Connection, Postgres};

use super::{
    char_to_byte, history_from_rows, insert_history, locate, micros, migration_error, sealed,
    select_history, HistoryRow, Outcome, Pool, ProgressSql, Session, StepError,
};
use crate::history::{AppliedMigration, HistoryTable};
use crate::migration::Migration;
use crate::statements::Dialect;
use crate::Error;

impl sealed::Sealed for sqlx::PgPool {}

impl Pool for sqlx::PgPool {
    type Session = PgSession;

    async fn open_session(&self) -> Result<PgSession, Error> {
        let conn = self
            .acquire()
            .await
            .map_err(Error::db("acquiring a connection from the pool"))?;
        Ok(PgSession {
            conn: Some(conn),
            locked: false,
        })
    }
}

/// A PostgreSQL session. See [`Session`].
#[doc(hidden)]
pub struct PgSession {
    conn: Option<PoolConnection<Postgres>>,
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

fn progress_sql(table: &HistoryTable) -> ProgressSql {
    ProgressSql::new(table, '"', |n| format!("${n}"))
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
}

impl Session for PgSession {
    async fn read_history(
        &mut self,
        table: &HistoryTable,
    ) -> Result<Option<Vec<AppliedMigration>>, Error> {
        let rows = sqlx::query_as::<_, HistoryRow>(AssertSqlSafe(select_history(table, '"')))
            .fetch_all(&mut **self.conn())
            .await;
        history_from_rows(rows, is_missing_table)
    }

    async fn try_lock(&mut self, table: &HistoryTable) -> Result<bool, Error> {
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(table.lock_key())
            .fetch_one(&mut **self.conn())
            .await
            .map_err(Error::db("taking the advisory lock"))?;
        self.locked = locked;
        Ok(locked)
    }

    async fn lock_holder(&mut self, table: &HistoryTable) -> Option<String> {
        let key = table.lock_key();
        // Advisory locks are per database. A bigint key is stored as classid (high half),
        // objid (low half), objsubid 1.
        // PostgreSQL does not record when an advisory lock was granted; the holder's session
        // age and state are the closest it can tell.
        let holder: Option<(i32, String, f64, Option<String>)> = sqlx::query_as(
            "SELECT a.pid, a.application_name, \
                    EXTRACT(EPOCH FROM now() - a.backend_start)::float8, a.state \
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
               AND l.classid::bigint = (($1 >> 32) & 4294967295) \
               AND l.objid::bigint = ($1 & 4294967295) \
             LIMIT 1",
        )
        .bind(key)
        .fetch_optional(&mut **self.conn())
        .await
        .ok()
        .flatten();
        holder.map(|(pid, application, seconds, state)| {
            let application = if application.is_empty() {
                "(no application_name)".to_owned()
            } else {
                format!("`{application}`")
            };
            let state = state.unwrap_or_else(|| "unknown".to_owned());
            format!(
                "backend pid {pid}, application {application}, connected for {seconds:.0}s, state {state}"
            )
        })
    }

    async fn unlock(&mut self, table: &HistoryTable) -> Result<(), Error> {
        let released: bool = sqlx::query_scalar("SELECT pg_advisory_unlock($1)")
            .bind(table.lock_key())
            .fetch_one(&mut **self.conn())
            .await
            .map_err(Error::db("releasing the advisory lock"))?;
        if released {
            self.locked = false;
        }
        Ok(())
    }

    async fn create_history(&mut self, table: &HistoryTable) -> Result<(), Error> {
        let conn = self.conn();
        if let Some(schema) = table.schema() {
            sqlx::raw_sql(AssertSqlSafe(format!(
                "CREATE SCHEMA IF NOT EXISTS \"{schema}\""
            )))
            .execute(&mut **conn)
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
        sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(&mut **conn)
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
    ) -> Result<Outcome, Error> {
        let insert = insert_history(table, '"', ["$1", "$2", "$3", "$4", "$5", "$6"]);
        let script = migration.up();
        let started = Instant::now();
        let mut tx = self
            .conn()
            .begin()
            .await
            .map_err(Error::db("starting a transaction"))?;
        // The whole file in one simple-query message: PostgreSQL reports the position of a
        // failure in it, which `locate` turns into the line and the statement.
        if let Err(error) = sqlx::raw_sql(script.sql()).execute(&mut *tx).await {
            let location = position(&error)
                .and_then(|p| char_to_byte(script.sql(), p))
                .map(|byte| locate(script.sql(), Dialect::Postgres, byte));
            if let Err(rollback) = tx.rollback().await {
                tracing::warn!(error = %rollback, "rollback after a failed migration failed; the server discards the transaction");
            }
            return Err(migration_error(migration, script, error, true, location));
        }
        sqlx::query(AssertSqlSafe(insert))
            .bind(migration.version())
            .bind(migration.name())
            .bind(&migration.checksum()[..])
            .bind(true)
            .bind(micros(started))
            .bind(migration.down().map(|d| d.sql()))
            .execute(&mut *tx)
            .await
            .map_err(Error::db("recording a migration in the history table"))?;
        tx.commit()
            .await
            .map_err(|error| migration_error(migration, script, error, true, None))?;
        Ok(Outcome::Applied(started.elapsed()))
    }

    async fn start_unfinished(
        &mut self,
        table: &HistoryTable,
        migration: &'static Migration,
    ) -> Result<(), Error> {
        sqlx::query(AssertSqlSafe(progress_sql(table).start))
            .bind(migration.version())
            .bind(migration.name())
            .bind(&migration.checksum()[..])
            .bind(migration.down().map(|d| d.sql()))
            .execute(&mut **self.conn())
            .await
            .map_err(Error::db("recording the start of a migration"))?;
        Ok(())
    }

    async fn step(
        &mut self,
        table: &HistoryTable,
        version: i64,
        statement: &str,
        applied: usize,
        progress: &[u8],
    ) -> Result<(), StepError> {
        // Outside a transaction: `no-transaction` statements such as CREATE INDEX
        // CONCURRENTLY refuse to run in one.
        let conn = self.conn();
        sqlx::raw_sql(AssertSqlSafe(statement.to_owned()))
            .execute(&mut **conn)
            .await
            .map_err(StepError::Statement)?;
        sqlx::query(AssertSqlSafe(progress_sql(table).step))
            .bind(i64::try_from(applied).unwrap_or(i64::MAX))
            .bind(progress)
            .bind(version)
            .execute(&mut **conn)
            .await
            .map_err(StepError::Record)?;
        Ok(())
    }

    async fn record_error(
        &mut self,
        table: &HistoryTable,
        version: i64,
        error: Option<&str>,
    ) -> Result<(), Error> {
        sqlx::query(AssertSqlSafe(progress_sql(table).error))
            .bind(error)
            .bind(version)
            .execute(&mut **self.conn())
            .await
            .map_err(Error::db("recording a migration's error"))?;
        Ok(())
    }

    async fn complete(
        &mut self,
        table: &HistoryTable,
        migration: &'static Migration,
        micros: i64,
    ) -> Result<(), Error> {
        sqlx::query(AssertSqlSafe(progress_sql(table).complete))
            .bind(migration.name())
            .bind(&migration.checksum()[..])
            .bind(micros)
            .bind(migration.down().map(|d| d.sql()))
            .bind(migration.version())
            .execute(&mut **self.conn())
            .await
            .map_err(Error::db("recording a migration as applied"))?;
        Ok(())
    }

    async fn finish(mut self, dirty: bool) {
        let Some(conn) = self.conn.take() else { return };
        if dirty || self.locked {
            if let Err(error) = conn.close().await {
                tracing::debug!(%error, "closing the migration connection failed");
            }
        }
    }
}
