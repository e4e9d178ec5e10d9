//! The connection a driver holds, with what every database does the same way: plain SQL,
//! text rows, the pool's executor for the heartbeat, and how the connection ends.

use sqlx::pool::PoolConnection;
use sqlx::AssertSqlSafe;

use super::{BoxFuture, PoolExecutor, TextRows};
use crate::Error;

/// A database this crate drives: how its results count rows.
pub(super) trait Database: sqlx::Database {
    /// The rows a statement affected.
    fn rows_affected(result: &Self::QueryResult) -> u64;
}

#[cfg(feature = "postgres")]
impl Database for sqlx::Postgres {
    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}

#[cfg(feature = "mysql")]
impl Database for sqlx::MySql {
    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}

#[cfg(feature = "sqlite")]
impl Database for sqlx::Sqlite {
    fn rows_affected(result: &Self::QueryResult) -> u64 {
        result.rows_affected()
    }
}

/// One connection taken from a pool for a whole operation. Dropped without
/// [`Conn::finish`], it is closed instead of going back to the pool: it may hold a session
/// lock, or be in the middle of a transaction.
pub(super) struct Conn<DB: Database> {
    conn: Option<PoolConnection<DB>>,
    pool: sqlx::Pool<DB>,
}

impl<DB: Database> Drop for Conn<DB> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.as_mut() {
            conn.close_on_drop();
        }
    }
}

impl<DB: Database> Conn<DB>
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'p> &'p sqlx::Pool<DB>: sqlx::Executor<'p, Database = DB>,
    for<'r> Option<String>: sqlx::Decode<'r, DB> + sqlx::Type<DB>,
    usize: sqlx::ColumnIndex<DB::Row>,
{
    /// Takes a connection from `pool`.
    pub(super) async fn acquire(pool: &sqlx::Pool<DB>) -> Result<Self, Error> {
        let conn = pool
            .acquire()
            .await
            .map_err(Error::db("acquiring a connection from the pool"))?;
        Ok(Conn {
            conn: Some(conn),
            pool: pool.clone(),
        })
    }

    /// The connection.
    pub(super) fn get(&mut self) -> &mut DB::Connection {
        // Only `finish` takes the connection, and it consumes the driver.
        self.conn.as_mut().expect("driver used after finish")
    }

    /// Runs plain SQL; the number of rows affected.
    pub(super) async fn execute(&mut self, sql: String) -> Result<u64, sqlx::Error> {
        let done = sqlx::raw_sql(AssertSqlSafe(sql))
            .execute(self.get())
            .await?;
        Ok(DB::rows_affected(&done))
    }

    /// Runs a plain query whose columns are all text (or NULL).
    pub(super) async fn fetch_text(&mut self, sql: String) -> Result<TextRows, sqlx::Error> {
        let rows = sqlx::raw_sql(AssertSqlSafe(sql))
            .fetch_all(self.get())
            .await?;
        text_rows(&rows)
    }

    /// Runs plain statements on the pool, not on this connection.
    pub(super) fn pool_executor(&self) -> PoolExecutor {
        let pool = self.pool.clone();
        std::sync::Arc::new(move |sql| {
            let pool = pool.clone();
            Box::pin(async move {
                let done = sqlx::raw_sql(AssertSqlSafe(sql)).execute(&pool).await?;
                Ok(DB::rows_affected(&done))
            })
        })
    }

    /// Ends the operation: the connection goes back to the pool, or is closed when `dirty`.
    pub(super) fn finish(&mut self, dirty: bool) -> BoxFuture<'static, ()> {
        let conn = self.conn.take();
        Box::pin(async move {
            if let (Some(conn), true) = (conn, dirty) {
                if let Err(error) = conn.close().await {
                    tracing::debug!(%error, "closing the migration connection failed");
                }
            }
        })
    }
}

/// Every column of every row as text (or NULL).
fn text_rows<R: sqlx::Row>(rows: &[R]) -> Result<TextRows, sqlx::Error>
where
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    usize: sqlx::ColumnIndex<R>,
{
    rows.iter()
        .map(|row| (0..row.len()).map(|i| row.try_get(i)).collect())
        .collect()
}
