//! Secrets never leak: with a password in the connection URL, nothing the migrator returns
//! or logs (errors' `Display` and `Debug`, reports, the migrator's `Debug`, every tracing event
//! at TRACE level, sqlx's included) contains it.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use migrate_tests::fixtures::{basic, failing};
use migrate_tests::{Server, ServerDatabase, SqliteFile};

/// Everything tracing emits, at every level, for the duration of a test.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn passwords_never_appear_in_errors_debug_output_or_logs() {
    const SECRET: &str = "hunter2-s3cret";
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    // The only test in this binary, so a global subscriber sees every event of every task.
    tracing::subscriber::set_global_default(subscriber).expect("first subscriber");

    let mut texts = Vec::new();
    if let Some(db) = ServerDatabase::create_on(Server::Postgres).await {
        // Trust authentication ignores the password, but it is in the URL the pool was made from.
        let url = db
            .url
            .replacen("postgres:postgres@", &format!("postgres:{SECRET}@"), 1);
        assert!(url.contains(SECRET));
        let pool = sqlx::PgPool::connect(&url).await.expect("connect");
        let report = basic::migrations::run(&pool).await.expect("migrate");
        texts.push(format!("{report:?}"));
        texts.push(format!("{:?}", basic::migrations::migrator()));
        let failed = failing::migrations::migrator()
            .history_table("other")
            .expect("valid")
            .run(&pool)
            .await;
        let error = failed.expect_err("fails");
        texts.push(format!("{error} {error:?}"));
        let mut holder = pool.acquire().await.expect("holder");
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(basic::migrations::migrator().table().lock_key())
            .execute(&mut *holder)
            .await
            .expect("lock");
        let timeout = migrate_tests::fixtures::edited::migrations::migrator()
            .history_table("third")
            .expect("valid")
            .lock_timeout(Duration::from_millis(200))
            .run(&pool)
            .await;
        texts.push(format!("{timeout:?}"));
        // A pool whose server is unreachable: the connection error.
        let closed = url.replacen(":5432/", ":1/", 1);
        let lazy = sqlx::postgres::PgPoolOptions::new()
            .acquire_timeout(Duration::from_secs(2))
            .connect_lazy(&closed)
            .expect("lazy pool");
        let error = basic::migrations::run(&lazy)
            .await
            .expect_err("unreachable");
        texts.push(format!("{error} {error:?}"));
    }
    let db = SqliteFile::new();
    let error = failing::migrations::run(&db.pool().await)
        .await
        .expect_err("fails");
    texts.push(format!("{error} {error:?}"));

    let logs = String::from_utf8_lossy(&captured.0.lock().expect("logs")).into_owned();
    assert!(
        logs.contains("applied migration"),
        "the subscriber captured the run's events: {}",
        &logs[..logs.len().min(2000)]
    );
    for text in texts.iter().chain([&logs]) {
        assert!(!text.contains(SECRET), "secret leaked: {text}");
    }
}
