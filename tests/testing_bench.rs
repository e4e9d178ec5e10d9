//! What the template saves: 50 tests that each take a fresh migrated database, run the way
//! `cargo test` runs them (2 threads, a current-thread runtime per test as `#[tokio::test]`
//! makes), with and without the template. Prints the figures as markdown; asserts nothing
//! about time. Ignored by default because it takes minutes; run it with
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-testing cargo test -p migrate-tests --test testing_bench -- --ignored --nocapture --test-threads 1
//! ```
#![cfg(corpus)] // only when ../shared/corpus is there: see corpus_present.rs

// The bench shares the helpers of the `testing` tests and uses a few of them.
#[allow(dead_code)]
#[path = "testing_support.rs"]
mod support;

use std::time::{Duration, Instant};

use migrate::testing::{template_name, TestDatabaseBuilder};
use migrate::{Migrations, Migrator};

mod app {
    migrate::embed_migrations!("../migrations", dialect = ["postgres", "mysql", "sqlite"]);
}
// The corpus's lints are reported in docs/lints-on-real-migrations.md, not here.
#[allow(deprecated)]
mod atuin_server {
    migrate::embed_migrations!(
        "../../shared/corpus/atuin-server-postgres/migrations",
        dialect = "postgres"
    );
}

const TESTS: usize = 50;
const THREADS: usize = 2;
const RUNS: usize = 5;

/// The migration sets measured, with a label that says how many migrations each has.
fn sets() -> [(String, &'static Migrations); 2] {
    [
        (
            format!(
                "example app `migrations/` ({})",
                app::migrations::MIGRATIONS.len()
            ),
            &app::migrations::MIGRATIONS,
        ),
        (
            format!(
                "atuin-server-postgres ({})",
                atuin_server::migrations::MIGRATIONS.len()
            ),
            &atuin_server::migrations::MIGRATIONS,
        ),
    ]
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Postgres,
    MySql,
    Sqlite,
}

/// How long one test spent getting its database, and dropping it.
#[derive(Clone, Copy, Debug)]
struct Phases {
    setup: Duration,
    drop: Duration,
}

/// Times the creation of a database (`$create`, a future), a query on it, and its drop.
macro_rules! timed {
    ($create:expr) => {{
        let started = Instant::now();
        let db = $create.await.expect("test database");
        let setup = started.elapsed();
        let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _migrate_history")
            .fetch_one(db.pool())
            .await
            .expect("query");
        let dropping = Instant::now();
        drop(db);
        Phases {
            setup,
            drop: dropping.elapsed(),
        }
    }};
}

/// One test: a fresh database, a query on it, and the drop.
async fn one_test(backend: Backend, builder: &TestDatabaseBuilder) -> Phases {
    match backend {
        Backend::Postgres => timed!(builder.postgres()),
        Backend::MySql => timed!(builder.mysql()),
        Backend::Sqlite => timed!(builder.sqlite()),
    }
}

/// Wall time of `TESTS` tests on `THREADS` threads, each test on a runtime of its own, and
/// the phases of each test.
fn fifty_tests(backend: Backend, builder: &TestDatabaseBuilder) -> (Duration, Vec<Phases>) {
    fifty_tests_of(backend, builder, TESTS)
}

/// Wall time of `tests` tests on `THREADS` threads, and the phases of each test.
fn fifty_tests_of(
    backend: Backend,
    builder: &TestDatabaseBuilder,
    tests: usize,
) -> (Duration, Vec<Phases>) {
    let started = Instant::now();
    let phases = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..THREADS)
            .map(|thread| {
                scope.spawn(move || {
                    (thread..tests)
                        .step_by(THREADS)
                        .map(|_| {
                            let runtime = tokio::runtime::Builder::new_current_thread()
                                .enable_all()
                                .build()
                                .expect("runtime");
                            runtime.block_on(one_test(backend, builder))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().expect("test thread"))
            .collect()
    });
    (started.elapsed(), phases)
}

/// Removes the template of `migrations`, so that the next run builds it (a cold start).
fn remove_template(
    backend: Backend,
    migrations: &'static Migrations,
    sqlite_dir: &std::path::Path,
) {
    let name = template_name(&Migrator::new(migrations));
    match backend {
        Backend::Postgres => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                if !support::pg_databases_like(&name).await.is_empty() {
                    support::pg_admin_execute(format!(
                        "ALTER DATABASE \"{name}\" IS_TEMPLATE false"
                    ))
                    .await;
                    support::pg_admin_execute(format!("DROP DATABASE \"{name}\"")).await;
                }
            });
        }
        Backend::Sqlite => {
            let _ = std::fs::remove_file(sqlite_dir.join(format!("{name}.db")));
        }
        Backend::MySql => {}
    }
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn millis(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1000.0)
}

fn seconds(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

#[test]
#[ignore = "a measurement that takes minutes; run it with --ignored --nocapture"]
fn fifty_tests_with_and_without_the_template() {
    let sqlite_dir = tempfile::tempdir().expect("temporary directory");
    let sets = sets();
    println!(
        "| migrations | backend | mode | wall time of {TESTS} tests on {THREADS} threads, {RUNS} runs | median | database ready in (median of {} tests) | dropped in (median) |",
        TESTS * RUNS
    );
    println!("|---|---|---|---|---|---|---|");
    for (label, migrations) in sets {
        let backends: &[Backend] = if std::ptr::eq(migrations, &app::migrations::MIGRATIONS) {
            &[Backend::Postgres, Backend::Sqlite, Backend::MySql]
        } else {
            &[Backend::Postgres]
        };
        for &backend in backends {
            let base = TestDatabaseBuilder::new(migrations).sqlite_dir(sqlite_dir.path());
            let base = match (
                backend,
                std::env::var("POSTGRES_URL"),
                std::env::var("MYSQL_URL"),
            ) {
                (Backend::Postgres, Ok(url), _) | (Backend::MySql, _, Ok(url)) => {
                    base.admin_url(url)
                }
                _ => base,
            };
            let mut modes: Vec<(&str, TestDatabaseBuilder, bool)> =
                vec![("migrate each database", base.clone().template(false), false)];
            if backend != Backend::MySql {
                modes.push(("template, built in the run (cold)", base.clone(), true));
                modes.push(("template, already built (warm)", base.clone(), false));
            }
            // Rounds alternate the modes, so that a change in the load of the machine (it is
            // shared) affects each mode alike.
            let mut runs: Vec<(Vec<Duration>, Vec<Phases>)> = vec![Default::default(); modes.len()];
            for _ in 0..RUNS {
                for ((_, builder, cold), (walls, phases)) in modes.iter().zip(&mut runs) {
                    if *cold {
                        remove_template(backend, migrations, sqlite_dir.path());
                    }
                    let (wall, each) = fifty_tests(backend, builder);
                    walls.push(wall);
                    phases.extend(each);
                }
            }
            for ((mode, _, _), (walls, phases)) in modes.iter().zip(runs) {
                let setup = median(phases.iter().map(|p| p.setup).collect());
                let dropped = median(phases.iter().map(|p| p.drop).collect());
                println!(
                    "| {label} | {backend:?} | {mode} | {} | {} | {} | {} |",
                    walls
                        .iter()
                        .map(|r| seconds(*r))
                        .collect::<Vec<_>>()
                        .join(", "),
                    seconds(median(walls.clone())),
                    millis(setup),
                    millis(dropped),
                );
            }
        }
    }
}

/// The `q`-quantile of `values` (0.5 for the median).
fn quantile(mut values: Vec<Duration>, q: f64) -> Duration {
    values.sort();
    let at = ((values.len() - 1) as f64 * q).round() as usize;
    values[at]
}

#[test]
#[ignore = "a measurement that takes minutes; run it with --ignored --nocapture"]
fn setup_latency_with_and_without_the_template_interleaved() {
    // Each of the 2 threads alternates the two modes test by test, so that both see the same
    // load on the shared machine and the same checkpoints of the server.
    const PER_THREAD: usize = 100;
    let sets = sets();
    println!(
        "| migrations (PostgreSQL) | mode | database ready in: median | p90 | dropped in: median | tests |"
    );
    println!("|---|---|---|---|---|---|");
    for (label, migrations) in sets {
        let base = TestDatabaseBuilder::new(migrations);
        let base = match std::env::var("POSTGRES_URL") {
            Ok(url) => base.admin_url(url),
            Err(_) => base,
        };
        let modes = [
            ("migrate each database", base.clone().template(false)),
            ("template (already built)", base),
        ];
        // Build the template first, outside the measurement.
        let _ = fifty_tests_of(Backend::Postgres, &modes[1].1, 1);
        let phases: Vec<Vec<(usize, Phases)>> = std::thread::scope(|scope| {
            let threads: Vec<_> = (0..THREADS)
                .map(|thread| {
                    let modes = &modes;
                    scope.spawn(move || {
                        (0..PER_THREAD)
                            .map(|i| {
                                let mode = (i + thread) % 2;
                                let runtime = tokio::runtime::Builder::new_current_thread()
                                    .enable_all()
                                    .build()
                                    .expect("runtime");
                                (
                                    mode,
                                    runtime.block_on(one_test(Backend::Postgres, &modes[mode].1)),
                                )
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            threads
                .into_iter()
                .map(|t| t.join().expect("test thread"))
                .collect()
        });
        let all: Vec<(usize, Phases)> = phases.into_iter().flatten().collect();
        for (index, (mode, _)) in modes.iter().enumerate() {
            let setups: Vec<Duration> = all
                .iter()
                .filter(|(m, _)| *m == index)
                .map(|(_, p)| p.setup)
                .collect();
            let drops: Vec<Duration> = all
                .iter()
                .filter(|(m, _)| *m == index)
                .map(|(_, p)| p.drop)
                .collect();
            println!(
                "| {label} | {mode} | {} | {} | {} | {} |",
                millis(quantile(setups.clone(), 0.5)),
                millis(quantile(setups.clone(), 0.9)),
                millis(quantile(drops, 0.5)),
                setups.len()
            );
        }
    }
}
