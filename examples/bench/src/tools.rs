//! The four tools, each with its migrations embedded at compile time from `generated/`, and
//! a connection (a pool, a client or a connection) established before anything is timed.

use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sqlx::AssertSqlSafe;

use crate::db::Db;

#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug, Hash, PartialOrd, Ord)]
pub enum Tool {
    Migrate,
    Sqlx,
    Refinery,
    Diesel,
}

impl Tool {
    pub const ALL: [Tool; 4] = [Tool::Migrate, Tool::Sqlx, Tool::Refinery, Tool::Diesel];

    pub fn label(self) -> &'static str {
        match self {
            Tool::Migrate => "migrate",
            Tool::Sqlx => "sqlx",
            Tool::Refinery => "refinery",
            Tool::Diesel => "diesel_migrations",
        }
    }

    pub fn short(self) -> &'static str {
        match self {
            Tool::Migrate => "migrate",
            Tool::Sqlx => "sqlx",
            Tool::Refinery => "refinery",
            Tool::Diesel => "diesel",
        }
    }

    /// Whether the harness runs this tool on `db` (refinery's tokio-postgres driver and
    /// diesel's `postgres` backend only on PostgreSQL).
    pub fn supports(self, db: Db) -> bool {
        matches!(self, Tool::Migrate | Tool::Sqlx) || db == Db::Postgres
    }

    /// The history table the tool keeps, to verify a run.
    pub fn history_table(self) -> &'static str {
        match self {
            Tool::Migrate => "_migrate_history",
            Tool::Sqlx => "_sqlx_migrations",
            Tool::Refinery => "refinery_schema_history",
            Tool::Diesel => "__diesel_schema_migrations",
        }
    }
}

pub const SIZES: [usize; 3] = [10, 100, 1000];

mod migrate_10 {
    migrate::embed_migrations!(
        "generated/migrate_10",
        dialect = ["postgres", "mysql", "sqlite"]
    );
}
mod migrate_100 {
    migrate::embed_migrations!(
        "generated/migrate_100",
        dialect = ["postgres", "mysql", "sqlite"]
    );
}
mod migrate_1000 {
    migrate::embed_migrations!(
        "generated/migrate_1000",
        dialect = ["postgres", "mysql", "sqlite"]
    );
}

static SQLX_10: sqlx::migrate::Migrator = sqlx::migrate!("generated/sqlx_10");
static SQLX_100: sqlx::migrate::Migrator = sqlx::migrate!("generated/sqlx_100");
static SQLX_1000: sqlx::migrate::Migrator = sqlx::migrate!("generated/sqlx_1000");

mod refinery_10 {
    refinery::embed_migrations!("generated/refinery_10");
}
mod refinery_100 {
    refinery::embed_migrations!("generated/refinery_100");
}
mod refinery_1000 {
    refinery::embed_migrations!("generated/refinery_1000");
}

use diesel_migrations::{EmbeddedMigrations, MigrationHarness};
const DIESEL_10: EmbeddedMigrations = diesel_migrations::embed_migrations!("generated/diesel_10");
const DIESEL_100: EmbeddedMigrations = diesel_migrations::embed_migrations!("generated/diesel_100");
const DIESEL_1000: EmbeddedMigrations =
    diesel_migrations::embed_migrations!("generated/diesel_1000");

fn migrator(n: usize) -> migrate::Migrator {
    match n {
        10 => migrate_10::migrations::migrator(),
        100 => migrate_100::migrations::migrator(),
        1000 => migrate_1000::migrations::migrator(),
        _ => panic!("no migrate set of {n}"),
    }
}

fn sqlx_migrator(n: usize) -> &'static sqlx::migrate::Migrator {
    match n {
        10 => &SQLX_10,
        100 => &SQLX_100,
        1000 => &SQLX_1000,
        _ => panic!("no sqlx set of {n}"),
    }
}

fn refinery_runner(n: usize) -> refinery::Runner {
    match n {
        10 => refinery_10::migrations::runner(),
        100 => refinery_100::migrations::runner(),
        1000 => refinery_1000::migrations::runner(),
        _ => panic!("no refinery set of {n}"),
    }
}

fn diesel_migrations(n: usize) -> EmbeddedMigrations {
    match n {
        10 => DIESEL_10,
        100 => DIESEL_100,
        1000 => DIESEL_1000,
        _ => panic!("no diesel set of {n}"),
    }
}

/// A tool connected to one database.
pub enum Session {
    MigratePg(sqlx::PgPool),
    MigrateMy(sqlx::MySqlPool),
    MigrateLite(sqlx::SqlitePool),
    SqlxPg(sqlx::PgPool),
    SqlxMy(sqlx::MySqlPool),
    SqlxLite(sqlx::SqlitePool),
    Refinery(tokio_postgres::Client, tokio::task::JoinHandle<()>),
    Diesel(Option<diesel::PgConnection>),
}

/// The outcome of one timed run: its duration (the run alone, with the connection already
/// established) and how many migrations the tool says it applied, where it says.
pub struct Run {
    pub elapsed: Duration,
    pub applied: Option<usize>,
}

impl Session {
    /// Connects and establishes one connection before returning, so that nothing timed later
    /// includes a connection set-up. Pools get sqlx's default options but `max_connections`.
    pub async fn connect(
        tool: Tool,
        db: Db,
        url: &str,
        max_connections: u32,
    ) -> Result<Session, String> {
        let timeout = Duration::from_secs(30);
        let session = match (tool, db) {
            (Tool::Migrate | Tool::Sqlx, Db::Postgres) => {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(timeout)
                    .connect(url)
                    .await
                    .map_err(|e| format!("connect: {e}"))?;
                if tool == Tool::Migrate {
                    Session::MigratePg(pool)
                } else {
                    Session::SqlxPg(pool)
                }
            }
            (Tool::Migrate | Tool::Sqlx, Db::MariaDb) => {
                let pool = sqlx::mysql::MySqlPoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(timeout)
                    .connect(url)
                    .await
                    .map_err(|e| format!("connect: {e}"))?;
                if tool == Tool::Migrate {
                    Session::MigrateMy(pool)
                } else {
                    Session::SqlxMy(pool)
                }
            }
            (Tool::Migrate | Tool::Sqlx, Db::Sqlite) => {
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(max_connections)
                    .acquire_timeout(timeout)
                    .connect(url)
                    .await
                    .map_err(|e| format!("connect: {e}"))?;
                if tool == Tool::Migrate {
                    Session::MigrateLite(pool)
                } else {
                    Session::SqlxLite(pool)
                }
            }
            (Tool::Refinery, Db::Postgres) => {
                let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                    .await
                    .map_err(|e| format!("connect: {e}"))?;
                let task = tokio::spawn(async move {
                    let _ = connection.await;
                });
                Session::Refinery(client, task)
            }
            (Tool::Diesel, Db::Postgres) => {
                // libpq negotiates TLS by default (sslmode=prefer); the other three talk
                // plain TCP here (sqlx is built without a TLS backend, refinery uses NoTls),
                // so diesel does too.
                let separator = if url.contains('?') { '&' } else { '?' };
                let url = format!("{url}{separator}sslmode=disable");
                let conn = tokio::task::spawn_blocking(move || {
                    use diesel::Connection;
                    diesel::PgConnection::establish(&url)
                })
                .await
                .map_err(|e| format!("connect: {e}"))?
                .map_err(|e| format!("connect: {e}"))?;
                Session::Diesel(Some(conn))
            }
            (tool, db) => return Err(format!("{} does not run on {}", tool.label(), db.label())),
        };
        // `connect` of a pool already opened one connection; make sure it is idle in the pool.
        match &session {
            Session::MigratePg(p) | Session::SqlxPg(p) => drop(p.acquire().await),
            Session::MigrateMy(p) | Session::SqlxMy(p) => drop(p.acquire().await),
            Session::MigrateLite(p) | Session::SqlxLite(p) => drop(p.acquire().await),
            _ => {}
        }
        Ok(session)
    }

    /// Runs the tool's `run` for the set of `n` migrations, timing only that call.
    pub async fn run(&mut self, n: usize) -> Result<Run, String> {
        match self {
            Session::MigratePg(pool) => timed_migrate(migrator(n).run(&*pool)).await,
            Session::MigrateMy(pool) => timed_migrate(migrator(n).run(&*pool)).await,
            Session::MigrateLite(pool) => timed_migrate(migrator(n).run(&*pool)).await,
            Session::SqlxPg(pool) => timed_sqlx(sqlx_migrator(n).run(&*pool)).await,
            Session::SqlxMy(pool) => timed_sqlx(sqlx_migrator(n).run(&*pool)).await,
            Session::SqlxLite(pool) => timed_sqlx(sqlx_migrator(n).run(&*pool)).await,
            Session::Refinery(client, _) => {
                let runner = refinery_runner(n);
                let start = Instant::now();
                let result = runner.run_async(client).await;
                let elapsed = start.elapsed();
                let report = result.map_err(|e| chain(&e))?;
                Ok(Run {
                    elapsed,
                    applied: Some(report.applied_migrations().len()),
                })
            }
            Session::Diesel(slot) => {
                let mut conn = slot.take().ok_or("the diesel connection was lost")?;
                let (conn, elapsed, result) = tokio::task::spawn_blocking(move || {
                    let migrations = diesel_migrations(n);
                    let start = Instant::now();
                    let result = conn
                        .run_pending_migrations(migrations)
                        .map(|versions| versions.len())
                        .map_err(|e| chain(&*e));
                    let elapsed = start.elapsed();
                    (conn, elapsed, result)
                })
                .await
                .map_err(|e| format!("diesel thread: {e}"))?;
                *slot = Some(conn);
                Ok(Run {
                    elapsed,
                    applied: Some(result?),
                })
            }
        }
    }

    pub async fn close(self) {
        match self {
            Session::MigratePg(p) | Session::SqlxPg(p) => p.close().await,
            Session::MigrateMy(p) | Session::SqlxMy(p) => p.close().await,
            Session::MigrateLite(p) | Session::SqlxLite(p) => p.close().await,
            Session::Refinery(client, task) => {
                drop(client);
                let _ = task.await;
            }
            Session::Diesel(conn) => drop(conn),
        }
    }
}

async fn timed_migrate(
    run: impl std::future::Future<Output = Result<migrate::Report, migrate::Error>>,
) -> Result<Run, String> {
    let start = Instant::now();
    let result = run.await;
    let elapsed = start.elapsed();
    let report = result.map_err(|e| e.to_string())?;
    Ok(Run {
        elapsed,
        applied: Some(report.applied().len()),
    })
}

async fn timed_sqlx(
    run: impl std::future::Future<Output = Result<(), sqlx::migrate::MigrateError>>,
) -> Result<Run, String> {
    let start = Instant::now();
    let result = run.await;
    let elapsed = start.elapsed();
    result.map_err(|e| chain(&e))?;
    Ok(Run {
        elapsed,
        applied: None,
    })
}

/// An error with its sources (refinery's own message is only "`db error`" otherwise).
fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        let message = e.to_string();
        if !text.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        source = e.source();
    }
    text
}

/// Checks, outside any timing, that `url` holds the tool's history of exactly `n` migrations
/// and the last migration's table with its two rows.
pub async fn verify(tool: Tool, db: Db, url: &str, n: usize) -> Result<(), String> {
    let history = format!(
        "SELECT COUNT(*), COUNT(DISTINCT version) FROM {}",
        tool.history_table()
    );
    let rows = format!("SELECT COUNT(*) FROM t_{n}");
    let (count, distinct, table_rows): (i64, i64, i64) = match db {
        Db::Postgres => {
            let pool = sqlx::PgPool::connect(url)
                .await
                .map_err(|e| e.to_string())?;
            let (a, b) = sqlx::query_as::<_, (i64, i64)>(AssertSqlSafe(history))
                .fetch_one(&pool)
                .await
                .map_err(|e| e.to_string())?;
            let c = sqlx::query_scalar::<_, i64>(AssertSqlSafe(rows))
                .fetch_one(&pool)
                .await
                .map_err(|e| e.to_string())?;
            pool.close().await;
            (a, b, c)
        }
        Db::MariaDb => {
            let pool = sqlx::MySqlPool::connect(url)
                .await
                .map_err(|e| e.to_string())?;
            let (a, b) = sqlx::query_as::<_, (i64, i64)>(AssertSqlSafe(history))
                .fetch_one(&pool)
                .await
                .map_err(|e| e.to_string())?;
            let c = sqlx::query_scalar::<_, i64>(AssertSqlSafe(rows))
                .fetch_one(&pool)
                .await
                .map_err(|e| e.to_string())?;
            pool.close().await;
            (a, b, c)
        }
        Db::Sqlite => {
            let pool = sqlx::SqlitePool::connect(url)
                .await
                .map_err(|e| e.to_string())?;
            let (a, b) = sqlx::query_as::<_, (i64, i64)>(AssertSqlSafe(history))
                .fetch_one(&pool)
                .await
                .map_err(|e| e.to_string())?;
            let c = sqlx::query_scalar::<_, i64>(AssertSqlSafe(rows))
                .fetch_one(&pool)
                .await
                .map_err(|e| e.to_string())?;
            pool.close().await;
            (a, b, c)
        }
    };
    if count as usize != n || distinct as usize != n || table_rows != 2 {
        return Err(format!(
            "{} on {}: expected {n} history rows and 2 rows in t_{n}, found {count} rows \
             ({distinct} distinct versions) and {table_rows}",
            tool.label(),
            db.label()
        ));
    }
    Ok(())
}

/// A plain query on a database, for the SQLite version and the like.
pub async fn sqlite_version() -> Result<String, String> {
    let pool = sqlx::SqlitePool::connect("sqlite::memory:")
        .await
        .map_err(|e| e.to_string())?;
    let version: String = sqlx::query_scalar("SELECT sqlite_version()")
        .fetch_one(&pool)
        .await
        .map_err(|e| e.to_string())?;
    pool.close().await;
    Ok(version)
}
