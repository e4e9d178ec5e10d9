//! The example application: applies the workspace's `migrations/` at start-up, then uses the
//! schema.
//!
//! ```text
//! cargo run -p example-app                          # SQLite file example-app.db
//! DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/app cargo run -p example-app
//! DATABASE_URL=mysql://root@127.0.0.1:3306/app cargo run -p example-app
//! ```

use std::process::ExitCode;

migrate::embed_migrations!("../../migrations");

const DEFAULT_URL: &str = "sqlite://example-app.db?mode=rwc";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let url = std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| DEFAULT_URL.to_owned());
    match start(&url).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn start(url: &str) -> Result<(), Box<dyn std::error::Error>> {
    println!(
        "{} migrations embedded from `{}`",
        migrations::MIGRATIONS.len(),
        migrations::MIGRATIONS.source()
    );
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let pool = sqlx::PgPool::connect(url).await?;
        print_report(&migrations::run(&pool).await?);
        let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
            .fetch_one(&pool)
            .await?;
        println!("the schema is ready: {users} users");
    } else if url.starts_with("mysql:") || url.starts_with("mariadb:") {
        let pool = sqlx::MySqlPool::connect(url).await?;
        print_report(&migrations::run(&pool).await?);
        let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&pool)
            .await?;
        println!("the schema is ready: {users} users");
    } else if url.starts_with("sqlite:") {
        let pool = sqlx::SqlitePool::connect(url).await?;
        print_report(&migrations::run(&pool).await?);
        let users: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
            .fetch_one(&pool)
            .await?;
        println!("the schema is ready: {users} users");
    } else {
        return Err(format!(
            "unsupported DATABASE_URL scheme (expected sqlite:, postgres: or mysql:): {}",
            redact(url)
        )
        .into());
    }
    Ok(())
}

fn print_report(report: &migrate::Report) {
    if report.is_noop() {
        println!("database is up to date; nothing to apply");
    }
    for applied in report.applied() {
        println!(
            "applied {:>4} {:<28} {:>8.2} ms",
            applied.version,
            applied.name,
            applied.duration.as_secs_f64() * 1000.0
        );
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(scheme), Some(at)) if scheme < at => {
            format!("{}://***@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}
