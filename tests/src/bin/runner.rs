//! A stand-alone runner for the multi-process and crash tests:
//! `migrate-test-runner DATABASE_URL [FIXTURE]` applies one of the fixtures (`concurrent` by
//! default; `crash_pg`, `crash_mysql`, `crash_sqlite`) and prints `applied=<versions>`, or
//! the error. With `MIGRATE_TEST_LEASE_MS` set, it takes the lease lock with that stale
//! timeout instead of the session lock.

use std::process::ExitCode;

use migrate::{Migrator, Report};
use migrate_tests::fixtures;

fn migrator(fixture: &str) -> Option<Migrator> {
    Some(match fixture {
        "concurrent" => fixtures::concurrent::migrations::migrator(),
        "crash_pg" => fixtures::crash_pg::migrations::migrator(),
        "crash_mysql" => fixtures::crash_mysql::migrations::migrator(),
        "crash_sqlite" => fixtures::crash_sqlite::migrations::migrator(),
        "stall_pg" => fixtures::stall_pg::migrations::migrator(),
        "stall_mysql" => fixtures::stall_mysql::migrations::migrator(),
        _ => return None,
    })
}

async fn run(url: &str, migrator: Migrator) -> Result<Report, Box<dyn std::error::Error>> {
    Ok(if url.starts_with("postgres") {
        migrator.run(&sqlx::PgPool::connect(url).await?).await?
    } else if url.starts_with("mysql") {
        migrator.run(&sqlx::MySqlPool::connect(url).await?).await?
    } else {
        migrator.run(&sqlx::SqlitePool::connect(url).await?).await?
    })
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(url), fixture) = (args.next(), args.next()) else {
        eprintln!("usage: migrate-test-runner DATABASE_URL [FIXTURE]");
        return ExitCode::from(2);
    };
    let fixture = fixture.unwrap_or_else(|| "concurrent".to_owned());
    let Some(mut migrator) = migrator(&fixture) else {
        eprintln!("unknown fixture `{fixture}`");
        return ExitCode::from(2);
    };
    if let Some(ms) = std::env::var("MIGRATE_TEST_LEASE_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
    {
        migrator = migrator
            .lock_mode(migrate::LockMode::lease(std::time::Duration::from_millis(
                ms,
            )))
            .lock_timeout(std::time::Duration::from_secs(60));
    }
    match run(&url, migrator).await {
        Ok(report) => {
            let versions: Vec<String> = report
                .applied()
                .iter()
                .map(|a| a.version.to_string())
                .collect();
            println!("applied={}", versions.join(","));
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
