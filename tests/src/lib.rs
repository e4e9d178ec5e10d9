//! Helpers shared by the integration tests: fresh databases on real servers, named uniquely so
//! tests run in parallel, and dropped afterwards, also when the test fails.
//!
//! PostgreSQL comes from `POSTGRES_URL` (default `postgres://postgres:postgres@127.0.0.1:5432/postgres`,
//! used as the admin connection that creates and drops test databases). When the server is
//! unreachable a test is skipped with a printed reason, except when `CI` is set: then it fails.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection, MySqlConnection, MySqlPool, PgConnection, PgPool, SqlitePool};

pub mod corpus;
pub mod fixtures;

/// The admin URL of the PostgreSQL server used by the tests.
pub fn postgres_admin_url() -> String {
    std::env::var("POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A name no other test (in this or another process) uses.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// The URL of database `name` on the server of `admin_url`.
pub fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = admin_url
        .split_once('?')
        .map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let base = match base.rfind('/') {
        Some(slash) if slash > base.find("://").map_or(0, |s| s + 2) => &base[..slash],
        _ => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// A database server the tests use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Server {
    /// PostgreSQL at `POSTGRES_URL`.
    Postgres,
    /// MySQL or MariaDB at `MYSQL_URL` (default `mysql://root@127.0.0.1:3306/mysql`).
    MySql,
}

impl Server {
    /// The admin URL: creates and drops the test databases.
    pub fn admin_url(self) -> String {
        match self {
            Server::Postgres => postgres_admin_url(),
            Server::MySql => std::env::var("MYSQL_URL")
                .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/mysql".to_owned()),
        }
    }

    fn variable(self) -> &'static str {
        match self {
            Server::Postgres => "POSTGRES_URL",
            Server::MySql => "MYSQL_URL",
        }
    }

    fn quote(self, name: &str) -> String {
        match self {
            Server::Postgres => format!("\"{name}\""),
            Server::MySql => format!("`{name}`"),
        }
    }

    async fn execute(self, url: &str, sql: String) -> Result<(), sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql);
        match self {
            Server::Postgres => {
                let mut conn = PgConnection::connect(url).await?;
                sqlx::raw_sql(sql).execute(&mut conn).await?;
                conn.close().await
            }
            Server::MySql => {
                let mut conn = MySqlConnection::connect(url).await?;
                sqlx::raw_sql(sql).execute(&mut conn).await?;
                conn.close().await
            }
        }
    }
}

/// A fresh database on a server, dropped when this value is dropped.
pub struct ServerDatabase {
    /// Its name.
    pub name: String,
    /// Its URL.
    pub url: String,
    server: Server,
}

/// A fresh PostgreSQL database.
pub type PgDatabase = ServerDatabase;

impl ServerDatabase {
    /// Creates a PostgreSQL database, or returns `None` (after printing why) when the server
    /// is unreachable outside CI. In CI an unreachable server fails the test.
    pub async fn create() -> Option<ServerDatabase> {
        Self::create_on(Server::Postgres).await
    }

    /// Creates a database on `server`; `None` (with the reason printed) when the server is
    /// unreachable outside CI. In CI an unreachable server fails the test.
    pub async fn create_on(server: Server) -> Option<ServerDatabase> {
        let admin_url = server.admin_url();
        let name = unique_name("migrate_test");
        if let Err(error) = server
            .execute(
                &admin_url,
                format!("CREATE DATABASE {}", server.quote(&name)),
            )
            .await
        {
            if std::env::var_os("CI").is_some() {
                panic!("{server:?} at {admin_url} is unreachable and CI is set: {error}");
            }
            eprintln!(
                "SKIPPED: {server:?} at {admin_url} is unreachable ({error}); set {}",
                server.variable()
            );
            return None;
        }
        let url = with_database(&admin_url, &name);
        Some(ServerDatabase { name, url, server })
    }

    /// A new PostgreSQL pool on this database.
    pub async fn pool(&self) -> PgPool {
        PgPool::connect(&self.url)
            .await
            .expect("connect to the test database")
    }

    /// A new MySQL pool on this database.
    pub async fn mysql_pool(&self) -> MySqlPool {
        MySqlPool::connect(&self.url)
            .await
            .expect("connect to the test database")
    }
}

impl Drop for ServerDatabase {
    fn drop(&mut self) {
        let server = self.server;
        let admin_url = server.admin_url();
        let sql = match server {
            Server::Postgres => format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                server.quote(&self.name)
            ),
            Server::MySql => format!("DROP DATABASE IF EXISTS {}", server.quote(&self.name)),
        };
        // Drop runs inside the test's runtime; a thread of its own can block on a new one.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime
                .block_on(server.execute(&admin_url, sql))
                .map_err(std::io::Error::other)
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!(
                "warning: could not drop test database {}: {dropped:?}",
                self.name
            );
        }
    }
}

/// The URL of database `name` through PgBouncer in transaction mode (`PGBOUNCER_URL`, default
/// `postgres://postgres@127.0.0.1:6432/postgres`), or `None` (with the reason printed) when
/// it is unreachable outside CI. `.ci/run` starts one.
pub async fn pgbouncer_url(name: &str) -> Option<String> {
    let base = std::env::var("PGBOUNCER_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:6432/postgres".to_owned());
    let url = with_database(&base, name);
    match PgConnection::connect(&url).await {
        Ok(conn) => {
            let _ = conn.close().await;
            Some(url)
        }
        Err(error) => {
            if std::env::var_os("CI").is_some() {
                panic!("PgBouncer at {base} is unreachable and CI is set: {error}");
            }
            eprintln!("SKIPPED: PgBouncer at {base} is unreachable ({error}); set PGBOUNCER_URL");
            None
        }
    }
}

/// A SQLite database file in a temporary directory that is deleted when this value is dropped.
pub struct SqliteFile {
    /// The database file.
    pub path: PathBuf,
    /// Its URL (created if missing).
    pub url: String,
    _dir: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl SqliteFile {
    /// A new, not yet existing database file.
    pub fn new() -> SqliteFile {
        let dir = std::env::temp_dir().join(unique_name("migrate_test_sqlite"));
        std::fs::create_dir_all(&dir).expect("create a temporary directory");
        let path = dir.join("test.db");
        let url = format!("sqlite://{}?mode=rwc", path.display());
        SqliteFile {
            path,
            url,
            _dir: TempDir(dir),
        }
    }

    /// A new pool on this file.
    pub async fn pool(&self) -> SqlitePool {
        SqlitePool::connect(&self.url)
            .await
            .expect("open the SQLite file")
    }
}

impl Default for SqliteFile {
    fn default() -> Self {
        SqliteFile::new()
    }
}

/// Starts `count` processes of the `migrate-test-runner` binary (`runner`, from
/// `env!("CARGO_BIN_EXE_migrate-test-runner")`) at once on `url`, waits for all, and counts how
/// many runners reported applying each version. Panics, with the runner's output, if any failed.
pub fn run_processes(
    runner: &str,
    url: &str,
    count: usize,
) -> std::collections::BTreeMap<i64, usize> {
    let children: Vec<_> = (0..count)
        .map(|_| {
            std::process::Command::new(runner)
                .arg(url)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn a runner")
        })
        .collect();
    let mut applied = std::collections::BTreeMap::new();
    for child in children {
        let output = child.wait_with_output().expect("runner output");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "a runner failed: {stdout} {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let list = stdout
            .trim()
            .strip_prefix("applied=")
            .expect("runner report");
        for version in list.split(',').filter(|v| !v.is_empty()) {
            *applied
                .entry(version.parse().expect("version"))
                .or_default() += 1;
        }
    }
    applied
}

/// Asserts that `at` says when a migration was applied as the runtime promises: RFC 3339 in
/// UTC to the microsecond (`2026-12-02T06:35:25.123456Z`, 27 characters), and that this is
/// within a minute of now (the test servers run on this machine's clock).
pub fn assert_applied_just_now_in_utc(at: &str) {
    assert!(at.len() == 27 && at.ends_with('Z'), "{at}");
    let time = humantime::parse_rfc3339(at).unwrap_or_else(|e| panic!("{at}: {e}"));
    let apart = std::time::SystemTime::now()
        .duration_since(time)
        .unwrap_or_else(|ahead| ahead.duration());
    assert!(
        apart < std::time::Duration::from_secs(60),
        "{at} is {apart:?} from now"
    );
}

/// Whether `name` (a table, index or other relation, optionally schema-qualified) exists.
pub async fn pg_relation_exists(pool: &PgPool, name: &str) -> bool {
    sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(name)
        .fetch_one(pool)
        .await
        .expect("to_regclass")
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_in_a_url() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres", "x"),
            "postgres://u:p@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h:5432", "x"),
            "postgres://u:p@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://h/db?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
    }
}
