//! The example application: applies the workspace's `migrations/` at start-up, then uses the
//! schema.
//!
//! ```text
//! cargo run -p example-app                          # SQLite file example-app.db
//! DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/app cargo run -p example-app
//! DATABASE_URL=mysql://root@127.0.0.1:3306/app cargo run -p example-app
//! ```

use std::process::ExitCode;

migrate::embed_migrations!(
    "../../migrations",
    dialect = ["postgres", "mysql", "sqlite"]
);

const DEFAULT_URL: &str = "sqlite://example-app.db?mode=rwc";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let url = match std::env::var("DATABASE_URL") {
        Ok(url) if url.is_empty() => {
            eprintln!(
                "error: DATABASE_URL is set but empty; unset it to use {DEFAULT_URL}, or give a URL \
                 such as postgres://user:password@host:5432/app or mysql://user:password@host:3306/app"
            );
            return ExitCode::FAILURE;
        }
        Ok(url) => url,
        Err(_) => DEFAULT_URL.to_owned(),
    };
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
        // Not the URL itself, which may hold a password.
        return Err(
            "unsupported DATABASE_URL: expected one that starts with sqlite:, postgres: or mysql:"
                .into(),
        );
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
