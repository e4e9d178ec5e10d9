//! `migrate::testing` on real servers: a fresh migrated database per test on PostgreSQL,
//! MariaDB and SQLite, isolated from the others and dropped afterwards (also when the test
//! panics); PostgreSQL and SQLite templates built once per migration set and reused; and,
//! in `testing_reversible.rs`, the reversibility check.

#[path = "testing_reversible.rs"]
mod reversible;
// Without `cfg(corpus)` the helpers that read it are unused.
#[cfg_attr(not(corpus), allow(dead_code))]
#[path = "testing_support.rs"]
mod support;

use migrate::testing::{template_name, TestDatabase, TestDatabaseBuilder};
use migrate::Migrator;
use sqlx::{MySqlPool, PgPool, SqlitePool};
use support::{
    available, builder, mysql_database_exists, pg_admin_execute, pg_database_exists,
    pg_databases_like, runtime_migrations, sqlx_layout,
};

// A small, portable application schema of our own (not the example app's `migrations/`,
// which grows with the example).
mod app {
    migrate::embed_migrations!(
        "fixtures/testing_app",
        dialect = ["postgres", "mysql", "sqlite"]
    );
}
use app::migrations::MIGRATIONS as APP;

const APP_TABLES: [&str; 4] = ["conversations", "messages", "personas", "users"];

/// (version, success, applied at) of each history row.
async fn pg_history(pool: &PgPool, table: &str) -> Vec<(i64, bool, String)> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT version, success, applied_at::text FROM {table} ORDER BY version"
    )))
    .fetch_all(pool)
    .await
    .expect("history rows")
}

async fn pg_tables(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' \
         AND tablename NOT LIKE '\\_migrate%' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .expect("pg_tables")
}

const INSERT_USER: &str =
    "INSERT INTO users (id, email, display_name) VALUES ('u1', 'a@example.com', 'A')";

#[tokio::test]
async fn postgres_databases_are_migrated_isolated_and_dropped() {
    let Some(first) = available(builder(&APP).postgres().postgres().await) else {
        return;
    };
    let second = TestDatabase::postgres(&APP).await.expect("second database");
    assert_ne!(first.name(), second.name());
    assert!(first.url().ends_with(first.name()), "{}", first.url());
    for db in [&first, &second] {
        assert_eq!(pg_tables(db.pool()).await, APP_TABLES);
        let history = pg_history(db.pool(), "_migrate_history").await;
        let versions: Vec<(i64, bool)> = history.iter().map(|(v, s, _)| (*v, *s)).collect();
        assert_eq!(versions, [(1, true), (2, true), (3, true), (4, true)]);
    }
    sqlx::query(INSERT_USER)
        .execute(first.pool())
        .await
        .expect("insert");
    let count = |pool: &PgPool| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM users")
                .fetch_one(&pool)
                .await
                .expect("count")
        }
    };
    assert_eq!(count(first.pool()).await, 1);
    assert_eq!(count(second.pool()).await, 0, "databases are independent");

    let (first_name, second_name) = (first.name().to_owned(), second.name().to_owned());
    drop(first);
    assert!(!pg_database_exists(&first_name).await, "dropped on drop");
    assert!(pg_database_exists(&second_name).await);
    second.close().await.expect("close drops the database");
    assert!(!pg_database_exists(&second_name).await, "dropped by close");
}

#[tokio::test]
async fn mysql_databases_are_migrated_isolated_and_dropped() {
    let Some(first) = available(builder(&APP).mysql().mysql().await) else {
        return;
    };
    let second = builder(&APP)
        .mysql()
        .mysql()
        .await
        .expect("second database");
    assert_ne!(first.name(), second.name());
    assert_eq!(first.template(), None, "MySQL has no templates");
    for db in [&first, &second] {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT CONVERT(TABLE_NAME USING utf8mb4) FROM information_schema.TABLES \
             WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME NOT LIKE '\\_migrate%' ORDER BY 1",
        )
        .fetch_all(db.pool())
        .await
        .expect("tables");
        assert_eq!(tables, APP_TABLES);
        let history: Vec<(i64, bool)> =
            sqlx::query_as("SELECT version, success FROM _migrate_history ORDER BY version")
                .fetch_all(db.pool())
                .await
                .expect("history");
        assert_eq!(history, [(1, true), (2, true), (3, true), (4, true)]);
    }
    sqlx::query(INSERT_USER)
        .execute(first.pool())
        .await
        .expect("insert");
    let count = |pool: MySqlPool| async move {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users")
            .fetch_one(&pool)
            .await
            .expect("count")
    };
    assert_eq!(count(first.pool().clone()).await, 1);
    assert_eq!(
        count(second.pool().clone()).await,
        0,
        "databases are independent"
    );

    let (first_name, second_name) = (first.name().to_owned(), second.name().to_owned());
    drop(first);
    assert!(!mysql_database_exists(&first_name).await, "dropped on drop");
    assert!(mysql_database_exists(&second_name).await);
    second.close().await.expect("close drops the database");
    assert!(
        !mysql_database_exists(&second_name).await,
        "dropped by close"
    );
}

#[tokio::test]
async fn sqlite_databases_are_migrated_isolated_and_removed() {
    let first = TestDatabase::sqlite(&APP).await.expect("first database");
    let second = TestDatabase::sqlite(&APP).await.expect("second database");
    assert_ne!(first.name(), second.name());
    for db in [&first, &second] {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' \
             AND name NOT LIKE '\\_migrate%' ESCAPE '\\' ORDER BY 1",
        )
        .fetch_all(db.pool())
        .await
        .expect("tables");
        assert_eq!(tables, APP_TABLES);
        let history: Vec<(i64, bool)> =
            sqlx::query_as("SELECT version, success FROM _migrate_history ORDER BY version")
                .fetch_all(db.pool())
                .await
                .expect("history");
        assert_eq!(history, [(1, true), (2, true), (3, true), (4, true)]);
    }
    sqlx::query(INSERT_USER)
        .execute(first.pool())
        .await
        .expect("insert");
    let count = |pool: SqlitePool| async move {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM users")
            .fetch_one(&pool)
            .await
            .expect("count")
    };
    assert_eq!(count(first.pool().clone()).await, 1);
    assert_eq!(
        count(second.pool().clone()).await,
        0,
        "databases are independent"
    );

    let first_path = std::path::PathBuf::from(first.name());
    let second_path = std::path::PathBuf::from(second.name());
    assert!(first_path.exists());
    drop(first);
    assert!(!first_path.exists(), "removed on drop");
    assert!(
        !first_path.parent().expect("directory").exists(),
        "its directory too"
    );
    second.close().await.expect("close removes the file");
    assert!(!second_path.exists(), "removed by close");
}

/// Runs a test body that creates a database, reports its name, and panics (on MySQL and
/// PostgreSQL inside an open transaction that holds locks); returns the name once the task
/// has panicked.
async fn name_of_database_in_panicking_test<F>(body: F) -> Option<String>
where
    F: std::future::Future<Output = ()> + Send + 'static,
{
    let task = tokio::spawn(body);
    let outcome = task.await;
    assert!(
        outcome.as_ref().is_err_and(|e| e.is_panic()),
        "the test body panics"
    );
    let payload = outcome.err()?.into_panic();
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))?;
    message
        .strip_prefix("test body failed in ")
        .map(str::to_owned)
}

#[tokio::test]
async fn a_panicking_test_still_drops_its_database() {
    // PostgreSQL: skip (locally) when unreachable.
    if available(builder(&APP).postgres().postgres().await).is_some() {
        let name = name_of_database_in_panicking_test(async {
            let db = builder(&APP).postgres().postgres().await.expect("database");
            let mut tx = db.pool().begin().await.expect("begin");
            sqlx::query(INSERT_USER)
                .execute(&mut *tx)
                .await
                .expect("insert");
            sqlx::query("LOCK TABLE users IN ACCESS EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await
                .expect("lock");
            panic!("test body failed in {}", db.name());
        })
        .await
        .expect("the name of the database");
        assert!(name.starts_with("migrate_test_"), "{name}");
        assert!(!pg_database_exists(&name).await, "`{name}` was dropped");
    }

    if available(builder(&APP).mysql().mysql().await).is_some() {
        let name = name_of_database_in_panicking_test(async {
            let db = builder(&APP).mysql().mysql().await.expect("database");
            let mut tx = db.pool().begin().await.expect("begin");
            // A row lock and a metadata lock on `users`: DROP DATABASE would wait for them.
            sqlx::query(INSERT_USER)
                .execute(&mut *tx)
                .await
                .expect("insert");
            panic!("test body failed in {}", db.name());
        })
        .await
        .expect("the name of the database");
        assert!(!mysql_database_exists(&name).await, "`{name}` was dropped");
    }

    let name = name_of_database_in_panicking_test(async {
        let db = TestDatabase::sqlite(&APP).await.expect("database");
        sqlx::query(INSERT_USER)
            .execute(db.pool())
            .await
            .expect("insert");
        panic!("test body failed in {}", db.name());
    })
    .await
    .expect("the name of the database");
    assert!(
        !std::path::Path::new(&name).exists(),
        "`{name}` was removed"
    );
}

#[tokio::test]
async fn postgres_template_is_migrated_once_and_reused() {
    let Some(first) = available(builder(&APP).postgres().postgres().await) else {
        return;
    };
    let second = builder(&APP).postgres().postgres().await.expect("second");
    let template = template_name(&Migrator::new(&APP));
    assert_eq!(first.template(), Some(template.as_str()));
    assert_eq!(second.template(), Some(template.as_str()));
    assert!(pg_database_exists(&template).await);
    let first_history = pg_history(first.pool(), "_migrate_history").await;
    let second_history = pg_history(second.pool(), "_migrate_history").await;
    assert_eq!(first_history.len(), 4);
    // Copies of the template, not migrated again: the same `applied_at` to the microsecond.
    assert_eq!(first_history, second_history);

    // The template accepts no connections and is marked as a template.
    let pool = first.pool();
    let (allow, is_template): (bool, bool) =
        sqlx::query_as("SELECT datallowconn, datistemplate FROM pg_database WHERE datname = $1")
            .bind(&template)
            .fetch_one(pool)
            .await
            .expect("pg_database");
    assert!(!allow && is_template);

    // Without the template, the migrations run in the database itself.
    let own = builder(&APP)
        .postgres()
        .template(false)
        .postgres()
        .await
        .expect("migrated database");
    assert_eq!(own.template(), None);
    let own_history = pg_history(own.pool(), "_migrate_history").await;
    assert_eq!(own_history.len(), 4);
    assert_ne!(own_history[0].2, first_history[0].2, "applied anew");
    assert_eq!(pg_tables(own.pool()).await, APP_TABLES);

    // An unmigrated database is empty.
    let empty = builder(&APP)
        .postgres()
        .migrated(false)
        .postgres()
        .await
        .expect("empty database");
    assert_eq!(empty.template(), None);
    assert!(pg_tables(empty.pool()).await.is_empty());
}

#[tokio::test]
async fn a_changed_migration_set_gets_another_template() {
    let Some(original) = available(builder(&APP).postgres().postgres().await) else {
        return;
    };
    // The app's migrations with one file edited: another digest, another template.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(APP.source());
    let edited = runtime_migrations(
        "app-edited",
        sqlx_layout(
            &dir,
            &[(
                "0004_archive_conversations.up.sql",
                "ALTER TABLE conversations ADD COLUMN archived_at TIMESTAMP NULL;\n\
                 CREATE INDEX conversations_archived_at ON conversations (archived_at);\n",
            )],
        ),
    );
    let unchanged = runtime_migrations("app-copy", sqlx_layout(&dir, &[]));
    let original_template = template_name(&Migrator::new(&APP));
    assert_eq!(
        template_name(&Migrator::new(unchanged)),
        original_template,
        "the same files give the same template, wherever they come from"
    );
    let edited_template = template_name(&Migrator::new(edited));
    assert_ne!(edited_template, original_template);
    let custom_history = Migrator::new(&APP)
        .history_table("schema_history")
        .expect("valid name");
    let custom_template = template_name(&custom_history);
    assert_ne!(custom_template, original_template);

    let db = builder(edited).postgres().postgres().await.expect("edited");
    assert_eq!(db.template(), Some(edited_template.as_str()));
    let index: Option<String> =
        sqlx::query_scalar("SELECT to_regclass('conversations_archived_at')::text")
            .fetch_one(db.pool())
            .await
            .expect("to_regclass");
    assert_eq!(index.as_deref(), Some("conversations_archived_at"));
    assert_eq!(original.template(), Some(original_template.as_str()));

    let custom = support::Servers(TestDatabaseBuilder::with_migrator(custom_history))
        .postgres()
        .postgres()
        .await
        .expect("custom history table");
    assert_eq!(custom.template(), Some(custom_template.as_str()));
    assert_eq!(pg_history(custom.pool(), "schema_history").await.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_tests_build_one_template() {
    if available(builder(&APP).postgres().migrated(false).postgres().await).is_none() {
        return;
    }
    // A migration set no earlier run has seen, so that its template does not exist yet.
    let nonce = format!(
        "-- run {} {:?}\n",
        std::process::id(),
        std::time::SystemTime::now()
    );
    let mut entries = sqlx_layout(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(APP.source()),
        &[],
    );
    entries[0].up.1.insert_str(0, &nonce);
    let fresh = runtime_migrations("app-nonce", entries);
    let template = template_name(&Migrator::new(fresh));
    assert!(pg_databases_like(&template).await.is_empty());
    // Dropped at the end, also when an assertion fails (the test databases go first).
    let _template = DropTemplate(template.clone());

    let tasks: Vec<_> = (0..4)
        .map(|_| tokio::spawn(async move { builder(fresh).postgres().postgres().await }))
        .collect();
    let mut databases = Vec::new();
    for task in tasks {
        databases.push(task.await.expect("task").expect("database"));
    }
    let mut histories = Vec::new();
    for db in &databases {
        assert_eq!(db.template(), Some(template.as_str()));
        histories.push(pg_history(db.pool(), "_migrate_history").await);
    }
    assert!(histories.windows(2).all(|w| w[0] == w[1]), "{histories:?}");
    // One template, and no unfinished build left behind.
    assert_eq!(
        pg_databases_like(&template).await,
        std::slice::from_ref(&template)
    );
}

/// Drops a template made for one test run when dropped.
struct DropTemplate(String);

impl Drop for DropTemplate {
    fn drop(&mut self) {
        let name = self.0.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                pg_admin_execute(format!("ALTER DATABASE \"{name}\" IS_TEMPLATE false")).await;
                pg_admin_execute(format!("DROP DATABASE \"{name}\" WITH (FORCE)")).await;
            });
        })
        .join();
        if dropped.is_err() {
            eprintln!("warning: could not drop template `{}`", self.0);
        }
    }
}

#[tokio::test]
async fn sqlite_template_is_migrated_once_and_copied() {
    let first = TestDatabase::sqlite(&APP).await.expect("first");
    let second = TestDatabase::sqlite(&APP).await.expect("second");
    let template = first.template().expect("from a template").to_owned();
    assert_eq!(second.template(), Some(template.as_str()));
    assert!(template.ends_with(&format!("{}.db", template_name(&Migrator::new(&APP)))));
    assert!(std::path::Path::new(&template).exists());
    let history = |pool: SqlitePool| async move {
        sqlx::query_as::<_, (i64, String)>(
            "SELECT version, CAST(applied_at AS TEXT) FROM _migrate_history ORDER BY version",
        )
        .fetch_all(&pool)
        .await
        .expect("history")
    };
    let first_history = history(first.pool().clone()).await;
    assert_eq!(first_history.len(), 4);
    assert_eq!(first_history, history(second.pool().clone()).await);

    let dir = tempfile::tempdir().expect("temporary directory");
    let own = TestDatabaseBuilder::new(&APP)
        .sqlite_dir(dir.path())
        .template(false)
        .sqlite()
        .await
        .expect("migrated database");
    assert_eq!(own.template(), None);
    assert!(own.name().starts_with(&dir.path().display().to_string()));
    assert_eq!(history(own.pool().clone()).await.len(), 4);
    drop(own);
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read the directory")
        .collect();
    assert!(left.is_empty(), "no template, no database left: {left:?}");
}

/// `?password=…` is a password too (sqlx reads it): no error or `Debug` output shows it.
#[tokio::test]
async fn a_password_in_the_query_is_never_shown() {
    // Nothing listens on port 1, so the error names the server's URL.
    let unreachable = TestDatabaseBuilder::new(&APP)
        .admin_url("postgres://postgres@127.0.0.1:1/postgres?password=secret&connect_timeout=5");
    let builder_debug = format!("{unreachable:?}");
    assert!(builder_debug.contains("password=***"), "{builder_debug}");
    let error = unreachable
        .postgres()
        .await
        .expect_err("nothing listens on port 1");
    assert!(error.is_unreachable(), "{error}");
    for shown in [builder_debug, error.to_string(), format!("{error:?}")] {
        assert!(!shown.contains("secret"), "{shown}");
    }

    // A database created through such a URL (trust authentication ignores the password).
    let admin = std::env::var("POSTGRES_URL")
        .unwrap_or_else(|_| migrate::testing::DEFAULT_POSTGRES_URL.to_owned());
    let separator = if admin.contains('?') { '&' } else { '?' };
    let builder =
        TestDatabaseBuilder::new(&APP).admin_url(format!("{admin}{separator}password=secret"));
    let Some(db) = available(builder.postgres().await) else {
        return;
    };
    assert!(
        db.url().contains("password=secret"),
        "the URL to connect with keeps it"
    );
    let shown = format!("{db:?}");
    assert!(!shown.contains("secret"), "{shown}");
}
