//! The database servers and fresh, uniquely named databases on them.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use sqlx::{AssertSqlSafe, Executor};

// `MariaDb` is the server's name, not a repetition of the enum's.
#[allow(clippy::enum_variant_names)]
#[derive(Serialize, Deserialize, Clone, Copy, PartialEq, Eq, Debug, Hash, PartialOrd, Ord)]
pub enum Db {
    Postgres,
    MariaDb,
    Sqlite,
}

impl Db {
    pub const ALL: [Db; 3] = [Db::Postgres, Db::MariaDb, Db::Sqlite];

    pub fn label(self) -> &'static str {
        match self {
            Db::Postgres => "PostgreSQL",
            Db::MariaDb => "MariaDB",
            Db::Sqlite => "SQLite",
        }
    }
}

pub fn postgres_url() -> String {
    std::env::var("POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub fn mysql_url() -> String {
    std::env::var("MYSQL_URL").unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/mysql".into())
}

/// `scheme://user@host:port/db?query` split into (before host, host:port, after host).
fn split_url(url: &str) -> (String, String, String) {
    let scheme_end = url.find("://").map(|i| i + 3).unwrap_or(0);
    let rest = &url[scheme_end..];
    let host_start = rest.rfind('@').map(|i| i + 1).unwrap_or(0);
    let after_host = rest[host_start..]
        .find(['/', '?'])
        .map(|i| host_start + i)
        .unwrap_or(rest.len());
    (
        url[..scheme_end + host_start].to_string(),
        rest[host_start..after_host].to_string(),
        rest[after_host..].to_string(),
    )
}

/// The server's `host:port`, for the proxy.
pub fn host_port(url: &str, default_port: u16) -> String {
    let (_, host, _) = split_url(url);
    if host.contains(':') {
        host
    } else {
        format!("{host}:{default_port}")
    }
}

/// The same URL with another database name.
pub fn with_database(url: &str, db: &str) -> String {
    let (head, host, tail) = split_url(url);
    let query = tail.find('?').map(|i| &tail[i..]).unwrap_or("");
    format!("{head}{host}/{db}{query}")
}

/// The same URL through `127.0.0.1:<port>`.
pub fn through(url: &str, port: u16) -> String {
    let (head, _, tail) = split_url(url);
    format!("{head}127.0.0.1:{port}{tail}")
}

/// Administrative connections that create and drop the benchmark databases.
pub struct Servers {
    pub pg: Option<sqlx::PgPool>,
    pub pg_error: Option<String>,
    pub my: Option<sqlx::MySqlPool>,
    pub my_error: Option<String>,
    pub sqlite_dir: PathBuf,
    counter: AtomicU64,
}

impl Servers {
    pub async fn connect() -> Servers {
        let (pg, pg_error) = match sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect(&postgres_url())
            .await
        {
            Ok(pool) => (Some(pool), None),
            Err(e) => (
                None,
                Some(format!("cannot connect to {}: {e}", postgres_url())),
            ),
        };
        let (my, my_error) = match sqlx::mysql::MySqlPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(std::time::Duration::from_secs(5))
            .connect(&mysql_url())
            .await
        {
            Ok(pool) => (Some(pool), None),
            Err(e) => (
                None,
                Some(format!("cannot connect to {}: {e}", mysql_url())),
            ),
        };
        let sqlite_dir = std::env::temp_dir().join(format!("migrate-bench-{}", std::process::id()));
        std::fs::create_dir_all(&sqlite_dir).expect("temp dir for SQLite files");
        Servers {
            pg,
            pg_error,
            my,
            my_error,
            sqlite_dir,
            counter: AtomicU64::new(0),
        }
    }

    /// Why `db` cannot be benchmarked, if it cannot.
    pub fn unavailable(&self, db: Db) -> Option<String> {
        match db {
            Db::Postgres => self.pg_error.clone(),
            Db::MariaDb => self.my_error.clone(),
            Db::Sqlite => None,
        }
    }

    /// Creates an empty database with a unique name.
    pub async fn fresh(&self, db: Db) -> Result<Fresh, String> {
        let seq = self.counter.fetch_add(1, Ordering::SeqCst);
        let name = format!("migrate_bench_{}_{seq}", std::process::id());
        let url = match db {
            Db::Postgres => {
                let pool = self.pg.as_ref().ok_or("PostgreSQL unavailable")?;
                pool.execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .map_err(|e| format!("CREATE DATABASE {name}: {e}"))?;
                // Start every measurement from a clean state: dirty buffers and WAL of the
                // previous one (1000 tables created, a database dropped) written out now,
                // untimed, rather than by the checkpointer during the next measurement.
                pool.execute("CHECKPOINT")
                    .await
                    .map_err(|e| format!("CHECKPOINT: {e}"))?;
                with_database(&postgres_url(), &name)
            }
            Db::MariaDb => {
                let pool = self.my.as_ref().ok_or("MariaDB unavailable")?;
                pool.execute(AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .await
                    .map_err(|e| format!("CREATE DATABASE {name}: {e}"))?;
                with_database(&mysql_url(), &name)
            }
            Db::Sqlite => {
                let path = self.sqlite_dir.join(format!("{name}.db"));
                format!("sqlite://{}?mode=rwc", path.display())
            }
        };
        Ok(Fresh { db, name, url })
    }

    /// A new PostgreSQL database whose sessions default to `synchronous_commit=off`.
    pub async fn fresh_relaxed(&self) -> Result<Fresh, String> {
        let fresh = self.fresh(Db::Postgres).await?;
        let pool = self.pg.as_ref().ok_or("PostgreSQL unavailable")?;
        let sql = format!("ALTER DATABASE {} SET synchronous_commit = off", fresh.name);
        if let Err(e) = pool.execute(AssertSqlSafe(sql)).await {
            self.drop_db(&fresh).await;
            return Err(format!("ALTER DATABASE: {e}"));
        }
        Ok(fresh)
    }

    pub async fn drop_db(&self, fresh: &Fresh) {
        match fresh.db {
            Db::Postgres => {
                if let Some(pool) = &self.pg {
                    let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", fresh.name);
                    if let Err(e) = pool.execute(AssertSqlSafe(sql)).await {
                        eprintln!("warning: dropping {}: {e}", fresh.name);
                    }
                }
            }
            Db::MariaDb => {
                if let Some(pool) = &self.my {
                    let sql = format!("DROP DATABASE IF EXISTS {}", fresh.name);
                    if let Err(e) = pool.execute(AssertSqlSafe(sql)).await {
                        eprintln!("warning: dropping {}: {e}", fresh.name);
                    }
                }
            }
            Db::Sqlite => {
                for suffix in ["", "-wal", "-shm", "-journal", ".migrate-lock"] {
                    let path = self.sqlite_dir.join(format!("{}.db{suffix}", fresh.name));
                    let _ = std::fs::remove_file(path);
                }
            }
        }
    }

    pub fn cleanup(&self) {
        let _ = std::fs::remove_dir_all(&self.sqlite_dir);
    }
}

pub struct Fresh {
    pub db: Db,
    pub name: String,
    pub url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let u = "postgres://postgres@127.0.0.1:5432/postgres";
        assert_eq!(
            with_database(u, "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(through(u, 9), "postgres://postgres@127.0.0.1:9/postgres");
        assert_eq!(host_port(u, 1), "127.0.0.1:5432");
        let m = "mysql://root@localhost/mysql?ssl-mode=disabled";
        assert_eq!(
            with_database(m, "y"),
            "mysql://root@localhost/y?ssl-mode=disabled"
        );
        assert_eq!(host_port(m, 3306), "localhost:3306");
    }
}
