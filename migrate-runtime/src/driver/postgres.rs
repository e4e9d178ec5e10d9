//! PostgreSQL: transactional DDL, so a migration runs whole with its history row in one
//! transaction (unless it says `-- migrate:no-transaction`), in one round trip; a
//! `no-transaction` file runs statement by statement, each in a transaction of its own with
//! its progress where the statement allows one.
//!
//! Every statement goes through the simple query protocol with literal values: no prepared
//! statements, so the driver works through PgBouncer in transaction mode, and each
//! bookkeeping statement is one round trip.

use std::time::{Duration, Instant};

use sqlx::postgres::{PgDatabaseError, PgErrorPosition};
use sqlx::{AssertSqlSafe, FromRow, Postgres, Row};

use super::conn::Conn;
use super::{
    history_from_rows, locate_by_replay, run_code_on, sealed, step_plainly, BoxFuture, CodeError,
    Driver, HistoryRow, Outcome, Pool, PoolExecutor, SessionLock, Sql, Step, StepError, Steps,
    TextRows, WholeScripts, DURATION_SLOT,
};
use crate::code::{Backend, Code};
use crate::history::{AppliedMigration, HistoryTable};
use crate::location::{char_to_byte, locate, migration_error};
use crate::migration::Migration;
use crate::statements::Dialect;
use crate::summary::{parse_versions, Checksums, Summary};
use crate::Error;

static SQL: Sql = Sql {
    backend: Backend::Postgres,
    dialect: Dialect::Postgres,
    quote: '"',
    now_ms: "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT",
    text: pg_literal::text,
    bytes: pg_literal::bytes,
    text_type: "TEXT",
    create_schema: Some("CREATE SCHEMA IF NOT EXISTS"),
    history_columns: "
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
            ",
    revert_column: "revert_checksum BYTEA",
    is_missing_column,
    applied_at_utc: r#"to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"#,
    error_position: position,
    for_update: " FOR UPDATE",
    steps: Steps::Together,
    bounded_lock_wait,
    bounded_idle,
};

/// `SET LOCAL lock_timeout` for the rest of the message (its implicit transaction).
fn bounded_lock_wait(wait: Duration) -> String {
    format!(
        "SET LOCAL lock_timeout = '{}ms';\n",
        wait.as_millis().max(1)
    )
}

/// `SET LOCAL idle_in_transaction_session_timeout` for the transaction it runs in.
fn bounded_idle(idle: Duration) -> String {
    format!(
        "SET LOCAL idle_in_transaction_session_timeout = '{}ms';\n",
        idle.as_millis().max(1)
    )
}

/// The duration of a migration, measured by the server since its `BEGIN`.
const SERVER_DURATION: &str = "(EXTRACT(EPOCH FROM clock_timestamp() - now()) * 1000000)::BIGINT";

/// The literals of PostgreSQL, sent through the simple query protocol.
mod pg_literal {
    /// A dollar-quoted string, with a tag that does not occur in `text`.
    pub fn text(text: &str) -> String {
        let mut tag = String::from("$m$");
        let mut n = 0u32;
        // The body ends where `tag` first occurs after the opening tag: that must be the end.
        while format!("{text}{tag}").find(&tag) != Some(text.len()) {
            n += 1;
            tag = format!("$m{n}$");
        }
        format!("{tag}{text}{tag}")
    }

    /// A `bytea` value.
    pub fn bytes(bytes: &[u8]) -> String {
        format!("decode('{}', 'hex')", crate::migration::hex(bytes))
    }
}

impl sealed::Sealed for sqlx::PgPool {}

impl Pool for sqlx::PgPool {
    fn driver(&self) -> BoxFuture<'_, Result<Box<dyn Driver>, Error>> {
        Box::pin(async move {
            Ok(Box::new(PgDriver {
                conn: Conn::acquire(self).await?,
            }) as Box<dyn Driver>)
        })
    }
}

/// A PostgreSQL connection. See [`Driver`].
struct PgDriver {
    conn: Conn<Postgres>,
}

/// The position PostgreSQL reports in the statement it ran, if any.
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

/// Whether `error` says that a column does not exist (42703 undefined_column).
fn is_missing_column(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if db.code().as_deref() == Some("42703"))
}

impl PgDriver {
    async fn summary(&mut self, table: &HistoryTable) -> Result<Option<Summary>, sqlx::Error> {
        // One pass over the rows in the order of the heap (an ordered aggregate or an index
        // scan would cost more than everything else here), with the versions and the hash of
        // the checksums in that same order. The hash keeps the row small: on the simple
        // protocol the checksums themselves would come back as hex text.
        let sql = format!(
            "SELECT count(*), bool_and(success AND octet_length(checksum) = 32), \
             string_agg(version::text, ','), sha256(string_agg(checksum, ''::bytea)) FROM {}",
            SQL.table(table)
        );
        let row = match sqlx::raw_sql(AssertSqlSafe(sql))
            .fetch_one(self.conn.get())
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

    async fn apply(
        &mut self,
        migration: &'static Migration,
        record: String,
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
        let record = record.replacen(DURATION_SLOT, SERVER_DURATION, 1);
        let message = format!("{begin}{}\n;\n{record};\nCOMMIT;", script.sql());
        if let Err(error) = self.conn.execute(message).await {
            let location = position(&error)
                .and_then(|p| p.checked_sub(begin.chars().count()))
                .and_then(|p| char_to_byte(script.sql(), p))
                .filter(|byte| *byte < script.sql().len())
                .map(|byte| locate(script.sql(), Dialect::Postgres, byte));
            let rolled_back = match self.conn.execute("ROLLBACK".to_owned()).await {
                Ok(_) => true,
                Err(rollback) => {
                    tracing::warn!(error = %rollback, "rollback after a failed migration failed; the server discards the transaction");
                    false
                }
            };
            // Many errors come without a position ("already exists", a unique violation, a
            // missing relation in `CREATE INDEX … ON x`): find the statement by replaying.
            let location = match location {
                None if rolled_back => locate_by_replay(self, script.sql(), &error).await,
                location => location,
            };
            return Err(migration_error(migration, script, error, true, location));
        }
        Ok(Outcome::Applied(started.elapsed()))
    }
}

impl PgDriver {
    /// Runs a step of a `no-transaction` file: its statements and their bookkeeping in one
    /// message, which PostgreSQL runs as one implicit transaction (measured faster than the
    /// same message in an explicit `BEGIN` … `COMMIT`), committed without waiting for the disk
    /// unless it is the last step (as whole migrations are, see `apply`). A failure rolls the
    /// whole message back. A statement that refuses a transaction block (CREATE INDEX
    /// CONCURRENTLY, VACUUM, a procedure that commits) fails at once without effect, and
    /// then runs alone, outside any transaction.
    async fn step_in_transaction(&mut self, step: Step<'_>) -> Result<(), StepError> {
        let run = match step {
            Step::Run(run) if run.shape == Steps::Together => run,
            other => return step_plainly(self, other).await,
        };
        let relaxed = if run.complete.is_some() {
            ""
        } else {
            "SET LOCAL synchronous_commit TO OFF;\n"
        };
        let message = format!("{relaxed}{}\n;\n{};", run.script(), run.bookkeeping());
        let Err(error) = self.conn.execute(message).await else {
            return Ok(());
        };
        let [statement] = run.statements[..] else {
            return Err(StepError::Statement {
                error,
                position: None,
            });
        };
        if refuses_transaction_block(&error) {
            return step_plainly(self, Step::Run(run)).await;
        }
        let position = position(&error)
            .and_then(|p| p.checked_sub(relaxed.chars().count()))
            .filter(|p| *p >= 1 && *p <= statement.chars().count());
        Err(StepError::Statement { error, position })
    }
}

/// 25001 active_sql_transaction (CREATE INDEX CONCURRENTLY, VACUUM, …), 2D000
/// invalid_transaction_termination (a procedure or DO block that commits).
fn refuses_transaction_block(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db) if matches!(db.code().as_deref(), Some("25001" | "2D000")))
}

impl Driver for PgDriver {
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
            // Simple protocol (text rows), decoded by the same tuple as the other drivers.
            let rows = sqlx::raw_sql(AssertSqlSafe(select))
                .fetch_all(self.conn.get())
                .await
                .and_then(|rows| rows.iter().map(HistoryRow::from_row).collect());
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
        Some(self)
    }

    fn step<'a>(&'a mut self, step: Step<'a>) -> BoxFuture<'a, Result<(), StepError>> {
        Box::pin(self.step_in_transaction(step))
    }

    fn run_code(
        &mut self,
        code: &'static Code,
        recheck: Option<String>,
        record: String,
    ) -> BoxFuture<'_, Result<Option<Duration>, CodeError>> {
        Box::pin(run_code_on::<Postgres>(
            self.conn.get(),
            "BEGIN",
            code,
            recheck,
            record,
        ))
    }

    fn session_lock(&self) -> SessionLock {
        SessionLock::Advisory
    }

    fn pool_executor(&self) -> PoolExecutor {
        self.conn.pool_executor()
    }

    fn finish(mut self: Box<Self>, dirty: bool) -> BoxFuture<'static, ()> {
        self.conn.finish(dirty)
    }
}

impl WholeScripts for PgDriver {
    fn apply_whole<'a>(
        &'a mut self,
        _table: &'a HistoryTable,
        migration: &'static Migration,
        record: String,
        durable: bool,
    ) -> BoxFuture<'a, Result<Outcome, Error>> {
        Box::pin(self.apply(migration, record, durable))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollar_quotes_cannot_be_closed_early() {
        assert_eq!(pg_literal::text("it's"), "$m$it's$m$");
        assert_eq!(pg_literal::text("a $m$ b"), "$m1$a $m$ b$m1$");
        assert_eq!(pg_literal::text("ends in $m"), "$m1$ends in $m$m1$");
        assert_eq!(pg_literal::bytes(&[0, 255]), "decode('00ff', 'hex')");
    }
}
