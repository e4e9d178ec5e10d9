//! Helpers of the `migrate::testing` tests: the skip convention, servers, and migration sets
//! built at run time from directories the macro cannot embed (diesel's layout) or from a
//! corpus directory with one file replaced.

use std::path::Path;

use migrate::testing::{TestDatabaseBuilder, TestError};
use migrate::{Migration, Migrations, Script};
use sqlx::{Connection, MySqlConnection, PgConnection};

pub const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus");

/// The value, or `None` after printing `SKIPPED` when the server is unreachable outside CI
/// (in CI, with `CI` set, an unreachable server fails the test like any other error).
pub fn available<T>(result: Result<T, TestError>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(error) if error.is_unreachable() && std::env::var_os("CI").is_none() => {
            eprintln!("SKIPPED: {error}");
            None
        }
        Err(error) => panic!("{error}"),
    }
}

/// A builder on the servers of this repository's tests: `POSTGRES_URL` and `MYSQL_URL` when
/// set (as `.ci/run` does), else the library's own resolution (`MIGRATE_TEST_*_URL`, then the
/// loopback defaults), which is what these tests then exercise.
pub fn builder(migrations: &'static Migrations) -> Servers {
    Servers(TestDatabaseBuilder::new(migrations))
}

/// See [`builder`].
pub struct Servers(pub TestDatabaseBuilder);

impl Servers {
    pub fn postgres(self) -> TestDatabaseBuilder {
        match std::env::var("POSTGRES_URL") {
            Ok(url) => self.0.admin_url(url),
            Err(_) => self.0,
        }
    }

    pub fn mysql(self) -> TestDatabaseBuilder {
        match std::env::var("MYSQL_URL") {
            Ok(url) => self.0.admin_url(url),
            Err(_) => self.0,
        }
    }
}

/// The admin URL the tests' PostgreSQL databases are created through.
pub fn postgres_admin_url() -> String {
    std::env::var("POSTGRES_URL")
        .or_else(|_| std::env::var(migrate::testing::POSTGRES_URL_VARIABLE))
        .unwrap_or_else(|_| migrate::testing::DEFAULT_POSTGRES_URL.to_owned())
}

/// The admin URL the tests' MySQL databases are created through.
pub fn mysql_admin_url() -> String {
    std::env::var("MYSQL_URL")
        .or_else(|_| std::env::var(migrate::testing::MYSQL_URL_VARIABLE))
        .unwrap_or_else(|_| migrate::testing::DEFAULT_MYSQL_URL.to_owned())
}

/// Whether a database of that name exists on the PostgreSQL server.
pub async fn pg_database_exists(name: &str) -> bool {
    let mut admin = PgConnection::connect(&postgres_admin_url())
        .await
        .expect("connect to the PostgreSQL admin database");
    let exists = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&mut admin)
        .await
        .expect("pg_database");
    admin.close().await.expect("close");
    exists
}

/// Runs one statement on the PostgreSQL admin database.
pub async fn pg_admin_execute(sql: String) {
    let mut admin = PgConnection::connect(&postgres_admin_url())
        .await
        .expect("connect to the PostgreSQL admin database");
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
        .execute(&mut admin)
        .await
        .expect("admin statement");
    admin.close().await.expect("close");
}

/// The names of PostgreSQL databases that start with `prefix`.
pub async fn pg_databases_like(prefix: &str) -> Vec<String> {
    let mut admin = PgConnection::connect(&postgres_admin_url())
        .await
        .expect("connect to the PostgreSQL admin database");
    let names = sqlx::query_scalar(
        "SELECT datname::text FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1",
    )
    .bind(prefix)
    .fetch_all(&mut admin)
    .await
    .expect("pg_database");
    admin.close().await.expect("close");
    names
}

/// Whether a database (schema) of that name exists on the MySQL server.
pub async fn mysql_database_exists(name: &str) -> bool {
    let mut admin = MySqlConnection::connect(&mysql_admin_url())
        .await
        .expect("connect to the MySQL admin database");
    let count: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
    )
    .bind(name)
    .fetch_one(&mut admin)
    .await
    .expect("information_schema.SCHEMATA");
    admin.close().await.expect("close");
    count == 1
}

fn leak(text: String) -> &'static str {
    Box::leak(text.into_boxed_str())
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// One migration of a set built at run time.
pub struct Entry {
    pub version: i64,
    pub name: String,
    pub up: (String, String),
    pub down: Option<(String, String)>,
    pub no_transaction: bool,
}

/// A `Migrations` built at run time (leaked, as the macro's are `'static`), in version order.
pub fn runtime_migrations(source: &str, mut entries: Vec<Entry>) -> &'static Migrations {
    entries.sort_by_key(|e| e.version);
    let list: Vec<&'static Migration> = entries
        .into_iter()
        .map(|entry| {
            let checksum = migrate::checksum(entry.up.1.as_bytes());
            let up = Script::new(leak(entry.up.0), leak(entry.up.1), entry.no_transaction);
            let down = entry
                .down
                .map(|(file, sql)| Script::new(leak(file), leak(sql), entry.no_transaction));
            &*Box::leak(Box::new(Migration::new(
                entry.version,
                leak(entry.name),
                up,
                down,
                checksum,
            )))
        })
        .collect();
    Box::leak(Box::new(Migrations::new(
        leak(source.to_owned()),
        leak(source.to_owned()),
        Box::leak(list.into_boxed_slice()),
    )))
}

/// The migrations of an sqlx-layout directory (`<version>_<name>.sql`, or `.up.sql` with
/// `.down.sql`), with the files named in `replace` given other content.
pub fn sqlx_layout(dir: &Path, replace: &[(&str, &str)]) -> Vec<Entry> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| {
            let path = entry.expect("directory entry").path();
            let file = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("UTF-8 file name")
                .to_owned();
            let sql = match replace.iter().find(|(name, _)| *name == file) {
                Some((_, sql)) => (*sql).to_owned(),
                None => read(&path),
            };
            (file, sql)
        })
        .filter(|(file, _)| file.ends_with(".sql"))
        .collect();
    files.sort();
    let mut entries: Vec<Entry> = Vec::new();
    for (file, sql) in files {
        let (stem, down) = match file.strip_suffix(".down.sql") {
            Some(stem) => (stem.to_owned(), true),
            None => (
                file.trim_end_matches(".sql")
                    .trim_end_matches(".up")
                    .to_owned(),
                false,
            ),
        };
        let (version, name) = stem.split_once('_').expect("<version>_<name>");
        let version: i64 = version.parse().expect("numeric version");
        let position = match entries.iter().position(|e| e.version == version) {
            Some(position) => position,
            None => {
                entries.push(Entry {
                    version,
                    name: name.to_owned(),
                    up: (String::new(), String::new()),
                    down: None,
                    no_transaction: false,
                });
                entries.len() - 1
            }
        };
        if down {
            entries[position].down = Some((file, sql));
        } else {
            entries[position].up = (file, sql);
        }
    }
    entries
}

/// The migrations of a diesel directory (`<version>_<name>/up.sql` and `down.sql`, with
/// `metadata.toml` saying `run_in_transaction = false` for some) in diesel's order: versions
/// (the text before the first `_`, without `-`) compared as strings. Diesel's versions have
/// 14 or 18 digits and their string order is not their numeric order, so each migration gets
/// its position (1-based) as its version; files are named `<directory>/up.sql`.
pub fn diesel_layout(dir: &Path) -> Vec<Entry> {
    let mut dirs: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|path| path.is_dir())
        .map(|path| {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("UTF-8 name")
                .to_owned();
            let version = name.split('_').next().unwrap_or("").replace('-', "");
            (version, name)
        })
        .collect();
    dirs.sort();
    dirs.into_iter()
        .enumerate()
        .map(|(index, (_, name))| {
            let path = dir.join(&name);
            let metadata = path.join("metadata.toml");
            let no_transaction = metadata.exists()
                && read(&metadata).lines().any(|line| {
                    line.split_once('=').is_some_and(|(key, value)| {
                        key.trim() == "run_in_transaction" && value.trim() == "false"
                    })
                });
            Entry {
                version: i64::try_from(index + 1).expect("small"),
                name: name.clone(),
                up: (format!("{name}/up.sql"), read(&path.join("up.sql"))),
                down: Some((format!("{name}/down.sql"), read(&path.join("down.sql")))),
                no_transaction,
            }
        })
        .collect()
}
