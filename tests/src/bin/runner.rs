//! A stand-alone runner for the multi-process tests: applies `fixtures/concurrent` to the
//! database URL given as its argument and prints `applied=<versions>`, or the error.

use std::process::ExitCode;

use migrate_tests::fixtures::concurrent::migrations;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!("usage: migrate-test-runner DATABASE_URL");
        return ExitCode::from(2);
    };
    let report = if url.starts_with("postgres") {
        match sqlx::PgPool::connect(&url).await {
            Ok(pool) => migrations::run(&pool).await,
            Err(error) => {
                eprintln!("connect: {error}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        match sqlx::SqlitePool::connect(&url).await {
            Ok(pool) => migrations::run(&pool).await,
            Err(error) => {
                eprintln!("connect: {error}");
                return ExitCode::FAILURE;
            }
        }
    };
    match report {
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
