//! An embedded command-line interface, built from the application's own migrations, so it
//! can never disagree with the binary that is deployed (feature `cli`).
//!
//! ```no_run
//! # extern crate checked_migrations as migrate; // users name the dependency `migrate`
//! // src/bin/migrate.rs
//! # #[cfg(feature = "sqlite")] mod m {
//! migrate::embed_migrations!("migrations");
//! fn main() -> std::process::ExitCode { migrate::cli::main(&migrations::MIGRATIONS) }
//! # }
//! # fn main() {}
//! ```
//!
//! ```text
//! migrate status                          table of every migration and its state
//! migrate up [--to V]                     apply pending migrations (up to V)
//! migrate down [--to V | --steps N | --all]   revert (default: the newest one)
//! migrate plan [up [--to V] | down [...]] what up/down would run, with the SQL
//! migrate mark-applied V                  record pending migrations up to V without running them
//! migrate mark-reverted V                 delete the records of V and later ones without running anything
//! migrate repair                          accept edited checksums, remove unfinished rows (undoes nothing)
//! migrate retry V                         resume unfinished V at its failed statement, its file unchanged
//! migrate new NAME [--reversible] [--rust] [--dir D] create the next migration file(s)
//! migrate lint [--dialect D] [--deny-warnings]  what the build reports about the SQL, without a database
//! ```
//!
//! `new` writes into `--dir`, or by default: in a debug build, the migrations directory the
//! binary was compiled from; in a release build, the path written in `embed_migrations!`
//! relative to the current directory (run it from the crate's directory), because a release
//! binary does not carry the build machine's absolute paths (see [`Migrations::dir`]).
//!
//! The database comes from `--database-url` or `DATABASE_URL` (`postgres://`, `mysql://`
//! or `mariadb://`, `sqlite:`), for each backend whose feature is enabled. `--json` prints
//! one JSON document on standard output instead of text.
//!
//! Exit codes: `0` success; `1` a migration or the database failed; `2` the command line is
//! wrong (including a version this binary does not contain); `3` the database needs an
//! operator first (an edited, missing, out-of-order, unfinished or irreversible migration, an
//! unfinished revert, or a Rust migration without a function for this database);
//! `4` the lock was not obtained in time, or was lost; `5` `lint` found an error, or with
//! `--deny-warnings` a warning (nothing was run: the migrations need fixing).
//!
//! `lint` reads the SQL in the dialect of `--dialect` (`postgres`, `mysql`, `sqlite`), else of
//! the scheme of the database URL (it does not connect), else the one the build read it in
//! (see [`crate::lint::dialects`]).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};

use crate::{Down, Error, Migration, Migrations, Migrator, Operation, Progress, Report, State};

mod database_url;
mod lint;

#[derive(Parser, Debug)]
#[command(
    name = "migrate",
    about = "Operate this application's embedded database migrations"
)]
struct Cli {
    /// Database URL: postgres://…, mysql://… (or mariadb://…), sqlite:…
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    database_url: Option<String>,
    /// Print one JSON document instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// The history table, `name` or `schema.name`.
    #[arg(long, global = true)]
    history_table: Option<String>,
    /// Seconds to wait for another runner's lock.
    #[arg(long, global = true, value_name = "SECONDS")]
    lock_timeout: Option<u64>,
    /// Seconds to keep trying to connect.
    #[arg(long, global = true, value_name = "SECONDS", default_value_t = 5)]
    connect_timeout: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Every migration of this binary or the database, with its state.
    Status,
    /// Apply pending migrations.
    Up {
        /// The last version to apply.
        #[arg(long)]
        to: Option<i64>,
    },
    /// Revert applied migrations, newest first (by default the newest one).
    Down(DownArgs),
    /// What `up` or `down` would run, with the SQL, without changing anything.
    Plan {
        #[command(subcommand)]
        what: Option<PlanCommand>,
    },
    /// Record pending migrations up to VERSION as applied, without running them.
    MarkApplied { version: i64 },
    /// Delete the records of VERSION and every later migration, without running anything.
    MarkReverted { version: i64 },
    /// Accept the checksums of edited migrations and remove unfinished rows (the statements
    /// they applied stay applied).
    Repair,
    /// Resume the unfinished migration (or revert) VERSION at its failed statement, with its
    /// file unchanged: after fixing a failure caused by the environment (a server setting, a
    /// missing row, a privilege), not by the file.
    Retry { version: i64 },
    /// Create the next migration file(s) in the source directory.
    New {
        /// The description: letters, digits, `_` and `-`.
        name: String,
        /// Create an `.up.sql`/`.down.sql` pair (with `--rust`: add a `down` function).
        #[arg(long)]
        reversible: bool,
        /// Create a migration written in Rust: a `.rs` file with an `up` function for the
        /// database of `--database-url` (PostgreSQL when none is given).
        #[arg(long)]
        rust: bool,
        /// The migrations directory. Default: in a debug build, the one the binary was
        /// built from; otherwise the path written in `embed_migrations!`, relative to the
        /// current directory (run from the crate's directory). A release binary does not
        /// embed the build machine's path.
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Check the SQL of the embedded migrations without a database, as the build does:
    /// statements that certainly fail (errors) and risky ones (warnings).
    Lint(lint::LintArgs),
}

#[derive(clap::Args, Debug)]
struct DownArgs {
    /// Revert every migration applied after VERSION (which stays applied).
    #[arg(long, conflicts_with_all = ["steps", "all"])]
    to: Option<i64>,
    /// Revert the newest N.
    #[arg(long, conflicts_with = "all")]
    steps: Option<usize>,
    /// Revert everything.
    #[arg(long)]
    all: bool,
}

#[derive(Subcommand, Debug)]
enum PlanCommand {
    /// Plan `up`.
    Up {
        #[arg(long)]
        to: Option<i64>,
    },
    /// Plan `down`.
    Down(DownArgs),
}

/// A failure, with the exit code it maps to.
struct Failure {
    code: u8,
    kind: &'static str,
    message: String,
}

impl From<Error> for Failure {
    fn from(error: Error) -> Failure {
        let (code, kind) = match &error {
            Error::ChecksumMismatch { .. } => (3, "checksum_mismatch"),
            Error::MissingFromBinary { .. } => (3, "missing_from_binary"),
            Error::OutOfOrder { .. } => (3, "out_of_order"),
            Error::Dirty { .. } => (3, "unfinished"),
            Error::RevertUnfinished { .. } => (3, "unfinished_revert"),
            Error::Irreversible { .. } => (3, "irreversible"),
            Error::LockTimeout { .. } => (4, "lock_timeout"),
            Error::LeaseLost { .. } => (4, "lease_lost"),
            Error::Migration { .. } | Error::Code { .. } => (1, "migration_failed"),
            Error::WrongBackend { .. } => (3, "wrong_database"),
            _ => (1, "error"),
        };
        Failure {
            code,
            kind,
            message: error.to_string(),
        }
    }
}

fn usage(message: String) -> Failure {
    Failure {
        code: 2,
        kind: "usage",
        message,
    }
}

/// Runs the CLI with the process's arguments and returns its exit code.
pub fn main(migrations: &'static Migrations) -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
        }
    };
    let json = cli.json;
    if let Command::Lint(args) = &cli.command {
        return lint::main(migrations, args, cli.database_url.as_deref(), json);
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            return finish(
                json,
                Err(Failure {
                    code: 1,
                    kind: "error",
                    message: error.to_string(),
                }),
            )
        }
    };
    let outcome = runtime.block_on(run(migrations, cli));
    finish(json, outcome)
}

fn finish(json: bool, outcome: Result<String, Failure>) -> ExitCode {
    match outcome {
        Ok(output) => {
            print!("{output}");
            ExitCode::SUCCESS
        }
        Err(failure) if json => {
            println!(
                "{{\"error\":{{\"kind\":{},\"message\":{}}}}}",
                quote(failure.kind),
                quote(&failure.message)
            );
            ExitCode::from(failure.code)
        }
        Err(failure) => {
            eprintln!("error: {}", failure.message);
            ExitCode::from(failure.code)
        }
    }
}

fn target(migrations: &'static Migrations, version: i64) -> Result<&'static Migration, Failure> {
    migrations.get(version).ok_or_else(|| {
        let known: Vec<String> = migrations.iter().map(|m| m.version().to_string()).collect();
        usage(format!(
            "this binary has no migration {version} (it has {})",
            known.join(", ")
        ))
    })
}

fn down_of(migrations: &'static Migrations, args: &DownArgs) -> Result<Down, Failure> {
    Ok(match (args.to, args.steps, args.all) {
        (Some(to), _, _) => Down::To(target(migrations, to)?.version()),
        (_, Some(steps), _) => Down::Steps(steps),
        (_, _, true) => Down::All,
        _ => Down::Steps(1),
    })
}

async fn run(migrations: &'static Migrations, cli: Cli) -> Result<String, Failure> {
    if let Command::New {
        name,
        reversible,
        rust,
        dir,
    } = &cli.command
    {
        let kind = match (*rust, *reversible) {
            (true, _) => NewKind::Rust {
                connection: connection_type(cli.database_url.as_deref()),
                reversible: *reversible,
            },
            (false, true) => NewKind::Reversible,
            (false, false) => NewKind::Simple,
        };
        return new_files(migrations, name, kind, dir.as_deref(), cli.json);
    }
    let Some(url) = cli.database_url.clone() else {
        return Err(usage(format!(
            "no database: pass --database-url or set DATABASE_URL to a URL such as {}",
            database_url::accepted_forms()
        )));
    };
    let mut migrator = Migrator::new(migrations);
    if let Some(table) = &cli.history_table {
        migrator = migrator.history_table(table)?;
    }
    if let Some(seconds) = cli.lock_timeout {
        migrator = migrator.lock_timeout(Duration::from_secs(seconds));
    }
    let connect_timeout = Duration::from_secs(cli.connect_timeout);
    let scheme = database_url::scheme(&url).map_err(usage)?;
    match scheme.as_str() {
        #[cfg(feature = "postgres")]
        "postgres" | "postgresql" => {
            let pool = connect(
                sqlx::postgres::PgPoolOptions::new()
                    .max_connections(2)
                    .acquire_timeout(connect_timeout)
                    .connect(&url),
            )
            .await?;
            command(migrations, migrator, &pool, &cli).await
        }
        #[cfg(feature = "mysql")]
        "mysql" | "mariadb" => {
            let url = url.replacen("mariadb:", "mysql:", 1);
            let pool = connect(
                sqlx::mysql::MySqlPoolOptions::new()
                    .max_connections(2)
                    .acquire_timeout(connect_timeout)
                    .connect(&url),
            )
            .await?;
            command(migrations, migrator, &pool, &cli).await
        }
        #[cfg(feature = "sqlite")]
        "sqlite" => {
            let pool = connect(
                sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(2)
                    .acquire_timeout(connect_timeout)
                    .connect(&url),
            )
            .await?;
            command(migrations, migrator, &pool, &cli).await
        }
        _ => Err(usage(database_url::unsupported(&scheme))),
    }
}

/// Connects; the error never repeats the URL (it may hold a password).
async fn connect<P>(
    pending: impl std::future::Future<Output = Result<P, sqlx::Error>>,
) -> Result<P, Failure> {
    pending.await.map_err(|error| Failure {
        code: 1,
        kind: "connect",
        message: format!("cannot connect to the database: {error}"),
    })
}

async fn command<P: crate::Pool>(
    migrations: &'static Migrations,
    migrator: Migrator,
    pool: &P,
    cli: &Cli,
) -> Result<String, Failure> {
    let json = cli.json;
    let migrator = if json {
        migrator
    } else {
        with_progress(migrator)
    };
    match &cli.command {
        Command::Status => Ok(status(&migrator.status(pool).await?, json)),
        Command::Up { to } => {
            let report = match to {
                Some(to) => migrator.run_to(pool, target(migrations, *to)?).await?,
                None => migrator.run(pool).await?,
            };
            Ok(report_text(
                &report,
                json,
                "nothing to apply: the database is up to date",
            ))
        }
        Command::Down(args) => {
            let report = match down_of(migrations, args)? {
                Down::To(to) => migrator.revert_to(pool, target(migrations, to)?).await?,
                Down::Steps(steps) => migrator.revert_steps(pool, steps).await?,
                Down::All => migrator.revert_all(pool).await?,
            };
            Ok(report_text(&report, json, "nothing to revert"))
        }
        Command::Plan { what } => {
            let operation = match what {
                None => Operation::Up { to: None },
                Some(PlanCommand::Up { to }) => Operation::Up {
                    to: to
                        .map(|v| target(migrations, v).map(Migration::version))
                        .transpose()?,
                },
                Some(PlanCommand::Down(args)) => Operation::Down(down_of(migrations, args)?),
            };
            Ok(plan(&migrator.plan(pool, operation).await?, json))
        }
        Command::MarkApplied { version } => {
            let report = migrator
                .mark_applied(pool, target(migrations, *version)?)
                .await?;
            Ok(report_text(
                &report,
                json,
                "nothing to mark: already applied",
            ))
        }
        Command::MarkReverted { version } => {
            let report = migrator
                .mark_reverted(pool, target(migrations, *version)?)
                .await?;
            Ok(report_text(&report, json, "nothing to mark: not applied"))
        }
        Command::Repair => Ok(report_text(
            &migrator.repair(pool).await?,
            json,
            "nothing to repair",
        )),
        Command::Retry { version } => {
            let report = migrator.retry(pool, target(migrations, *version)?).await?;
            Ok(report_text(
                &report,
                json,
                &format!("nothing to retry: migration {version} is not unfinished"),
            ))
        }
        Command::New { .. } | Command::Lint(_) => Ok(String::new()),
    }
}

/// Prints a line as each migration starts and ends, and every 10 s while a long one runs.
fn with_progress(migrator: Migrator) -> Migrator {
    let current: Arc<Mutex<Option<(String, Instant)>>> = Arc::new(Mutex::new(None));
    let ticker = current.clone();
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_secs(10)).await;
            if let Ok(guard) = ticker.lock() {
                if let Some((what, since)) = guard.as_ref() {
                    println!(
                        "  … {what}: still running after {}s",
                        since.elapsed().as_secs()
                    );
                }
            }
        }
    });
    migrator.on_progress(move |progress| {
        let mut state = current.lock().ok();
        let line = match progress {
            Progress::Applying { version, name } => {
                let what = format!("applying {version} {name}");
                let line = format!("{what} …");
                if let Some(state) = state.as_mut() {
                    **state = Some((what, Instant::now()));
                }
                line
            }
            Progress::Reverting { version, name } => {
                let what = format!("reverting {version} {name}");
                let line = format!("{what} …");
                if let Some(state) = state.as_mut() {
                    **state = Some((what, Instant::now()));
                }
                line
            }
            Progress::Applied {
                version,
                name,
                duration,
            } => {
                if let Some(state) = state.as_mut() {
                    **state = None;
                }
                format!("applied   {version} {name} in {}", human(*duration))
            }
            Progress::Reverted {
                version,
                name,
                duration,
            } => {
                if let Some(state) = state.as_mut() {
                    **state = None;
                }
                format!("reverted  {version} {name} in {}", human(*duration))
            }
            _ => return,
        };
        println!("{line}");
    })
}

fn human(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
    } else {
        format!("{:.2} s", duration.as_secs_f64())
    }
}

fn state_name(state: &State) -> &'static str {
    match state {
        State::Applied => "applied",
        State::Pending => "pending",
        State::Edited => "edited since applied",
        State::MissingFromBinary => "missing from binary",
        State::Unfinished { .. } => "unfinished",
        State::UnfinishedRevert { .. } => "unfinished revert",
        _ => "unknown",
    }
}

fn status(lines: &[crate::MigrationStatus], json: bool) -> String {
    if json {
        let items: Vec<String> = lines
            .iter()
            .map(|l| {
                let (applied, error) = match &l.state {
                    State::Unfinished { statements_applied, error }
                    | State::UnfinishedRevert { statements_applied, error, .. } => (Some(*statements_applied), error.clone()),
                    _ => (None, None),
                };
                // For an unfinished revert: its down file and how many statements it has.
                let (file, statements) = match &l.state {
                    State::UnfinishedRevert { file, statements, .. } => (Some(file.as_str()), *statements),
                    _ => (None, None),
                };
                format!(
                    "{{\"version\":{},\"name\":{},\"state\":{},\"applied_at\":{},\"duration_ms\":{},\"reversible\":{},\"statements_applied\":{},\"error\":{},\"file\":{},\"statements\":{}}}",
                    l.version,
                    quote(&l.name),
                    quote(state_name(&l.state)),
                    l.applied_at.as_deref().map_or("null".to_owned(), quote),
                    l.duration.map_or("null".to_owned(), |d| format!("{:.3}", d.as_secs_f64() * 1000.0)),
                    l.reversible,
                    applied.map_or("null".to_owned(), |n| n.to_string()),
                    error.as_deref().map_or("null".to_owned(), quote),
                    file.map_or("null".to_owned(), quote),
                    statements.map_or("null".to_owned(), |n| n.to_string()),
                )
            })
            .collect();
        return format!("[{}]\n", items.join(","));
    }
    let rows: Vec<[String; 6]> = lines
        .iter()
        .map(|l| {
            let state = match &l.state {
                State::Unfinished {
                    statements_applied,
                    error,
                } => format!(
                    "unfinished after {statements_applied} statement(s){}",
                    error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                ),
                State::UnfinishedRevert {
                    file,
                    statements_applied,
                    statements,
                    error,
                } => format!(
                    "unfinished revert after {statements_applied}{} statement(s) of `{file}`{}",
                    statements.map(|n| format!(" of {n}")).unwrap_or_default(),
                    error
                        .as_deref()
                        .map(|e| format!(": {e}"))
                        .unwrap_or_default()
                ),
                other => state_name(other).to_owned(),
            };
            [
                l.version.to_string(),
                l.name.clone(),
                state,
                l.applied_at.as_deref().map(to_millis).unwrap_or_default(),
                l.duration.map(human).unwrap_or_default(),
                if l.reversible {
                    "yes".into()
                } else {
                    "no".into()
                },
            ]
        })
        .collect();
    let header = [
        "VERSION",
        "NAME",
        "STATE",
        "APPLIED AT",
        "DURATION",
        "REVERSIBLE",
    ];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(header.map(str::to_owned)).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    let count = |wanted: &str| {
        lines
            .iter()
            .filter(|l| state_name(&l.state) == wanted)
            .count()
    };
    let _ = write!(
        out,
        "\n{} applied, {} pending",
        count("applied"),
        count("pending")
    );
    for unfinished in ["unfinished", "unfinished revert"] {
        match count(unfinished) {
            0 => {}
            n => {
                let _ = write!(out, ", {n} {unfinished}");
            }
        }
    }
    out.push('\n');
    out
}

/// An RFC 3339 time shortened to the millisecond, for the table (`--json` keeps every digit).
fn to_millis(at: &str) -> String {
    match at.split_once('.') {
        Some((seconds, fraction)) if fraction.len() > 4 && fraction.ends_with('Z') => {
            format!("{seconds}.{}Z", fraction.get(..3).unwrap_or(fraction))
        }
        _ => at.to_owned(),
    }
}

fn report_text(report: &Report, json: bool, nothing: &str) -> String {
    if json {
        let steps = |list: &[crate::Applied]| -> String {
            let items: Vec<String> = list
                .iter()
                .map(|a| {
                    format!(
                        "{{\"version\":{},\"name\":{},\"duration_ms\":{:.3}}}",
                        a.version,
                        quote(&a.name),
                        a.duration.as_secs_f64() * 1000.0
                    )
                })
                .collect();
            format!("[{}]", items.join(","))
        };
        let versions = |list: &[i64]| {
            format!(
                "[{}]",
                list.iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            )
        };
        let repaired: Vec<String> = report
            .repaired()
            .iter()
            .map(|r| match r {
                crate::Repair::AcceptedChecksum { version } => {
                    format!("{{\"version\":{version},\"action\":\"accepted_checksum\"}}")
                }
                crate::Repair::RemovedUnfinished {
                    version,
                    direction,
                    file,
                    statements_applied,
                } => format!(
                    "{{\"version\":{version},\"action\":\"removed_unfinished\",\"direction\":{},\"file\":{},\"statements_left_applied\":{statements_applied},\"message\":{}}}",
                    quote(match direction {
                        crate::Direction::Up => "up",
                        crate::Direction::Down => "down",
                    }),
                    quote(file),
                    quote(&r.to_string())
                ),
                _ => "{}".to_owned(),
            })
            .collect();
        return format!(
            "{{\"applied\":{},\"reverted\":{},\"marked_applied\":{},\"marked_reverted\":{},\"repaired\":[{}]}}\n",
            steps(report.applied()),
            steps(report.reverted()),
            versions(report.marked_applied()),
            versions(report.marked_reverted()),
            repaired.join(",")
        );
    }
    let mut out = String::new();
    for version in report.marked_applied() {
        let _ = writeln!(out, "marked {version} as applied");
    }
    for version in report.marked_reverted() {
        let _ = writeln!(out, "marked {version} as reverted");
    }
    for repair in report.repaired() {
        let _ = writeln!(out, "{repair}");
    }
    if report.is_noop() {
        let _ = writeln!(out, "{nothing}");
    } else if !report.applied().is_empty() || !report.reverted().is_empty() {
        let _ = writeln!(
            out,
            "done: {} applied, {} reverted",
            report.applied().len(),
            report.reverted().len()
        );
    }
    out
}

fn plan(steps: &[crate::PlannedStep], json: bool) -> String {
    if json {
        let items: Vec<String> = steps
            .iter()
            .map(|s| {
                format!(
                    "{{\"direction\":{},\"version\":{},\"name\":{},\"file\":{},\"sql\":{},\"resumes_after\":{}}}",
                    quote(if s.up { "up" } else { "down" }),
                    s.version,
                    quote(&s.name),
                    quote(&s.file),
                    quote(&s.sql),
                    s.resumes_after.map_or("null".to_owned(), |n| n.to_string())
                )
            })
            .collect();
        return format!("[{}]\n", items.join(","));
    }
    if steps.is_empty() {
        return "nothing to do\n".to_owned();
    }
    let mut out = String::new();
    for step in steps {
        let direction = if step.up { "up" } else { "down" };
        let resume = step
            .resumes_after
            .map(|n| format!(", resuming after statement {n}"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "-- {direction} {} {} ({}{resume})",
            step.version, step.name, step.file
        );
        let _ = writeln!(out, "{}\n", step.sql.trim_end());
    }
    out
}

/// A JSON string.
fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `new NAME`: the next version after the highest embedded one and any file already in the
/// directory, in the same style (zero-padded counters, or UTC timestamps).
/// What `new` creates.
enum NewKind {
    /// `<stem>.sql`
    Simple,
    /// `<stem>.up.sql` and `<stem>.down.sql`
    Reversible,
    /// `<stem>.rs`, with functions taking `&mut <connection>`.
    Rust {
        connection: &'static str,
        reversible: bool,
    },
}

/// The sqlx connection type for the database of `url` (PostgreSQL when unknown).
fn connection_type(url: Option<&str>) -> &'static str {
    match url.and_then(|url| url.split(':').next()) {
        Some("mysql" | "mariadb") => "sqlx::MySqlConnection",
        Some("sqlite") => "sqlx::SqliteConnection",
        _ => "sqlx::PgConnection",
    }
}

/// The content of a new migration written in Rust.
fn rust_template(name: &str, connection: &str, reversible: bool) -> String {
    let mut text = format!(
        "//! {name}\n\n\
         /// Runs in the migration's transaction, under the migration lock; an error rolls it back.\n\
         #[migrate::up]\n\
         async fn up(conn: &mut {connection}) -> Result<(), sqlx::Error> {{\n    \
         let _ = conn;\n    \
         Ok(())\n\
         }}\n"
    );
    if reversible {
        text.push_str(&format!(
            "\n/// Reverts `up`, in one transaction with the removal of its history row.\n\
             #[migrate::down]\n\
             async fn down(conn: &mut {connection}) -> Result<(), sqlx::Error> {{\n    \
             let _ = conn;\n    \
             Ok(())\n\
             }}\n"
        ));
    }
    text
}

/// Where `new` creates files: `--dir`; else, in a debug build, the directory the binary was
/// built from ([`Migrations::dir`]); else the directory as written in the macro call
/// ([`Migrations::source`]), relative to the current directory.
fn new_dir(migrations: &Migrations, dir: Option<&Path>) -> Result<PathBuf, Failure> {
    if let Some(dir) = dir {
        return if dir.is_dir() {
            Ok(dir.to_path_buf())
        } else {
            Err(usage(format!(
                "`{}` (--dir) is not a directory",
                dir.display()
            )))
        };
    }
    if let Some(built) = migrations.dir().map(Path::new).filter(|d| d.is_dir()) {
        return Ok(built.to_path_buf());
    }
    let source = Path::new(migrations.source());
    if source.is_dir() {
        return Ok(source.to_path_buf());
    }
    let cwd = std::env::current_dir().map_or_else(|_| "?".to_owned(), |d| d.display().to_string());
    Err(usage(format!(
        "cannot find the migrations directory: this binary embeds `{}` (relative to its crate's Cargo.toml), which is not under the current directory `{cwd}`; run `migrate new` from the crate's directory, or pass --dir DIRECTORY",
        source.display()
    )))
}

fn new_files(
    migrations: &'static Migrations,
    name: &str,
    kind: NewKind,
    dir: Option<&Path>,
    json: bool,
) -> Result<String, Failure> {
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(usage(format!(
            "`{name}` is not a valid description: use ASCII letters, digits, `_` and `-`"
        )));
    }
    let dir = new_dir(migrations, dir)?;
    // Versions and widths of what is embedded and what is on disk (files added since the build).
    let mut versions: Vec<(i64, usize)> = migrations
        .iter()
        .map(|m| {
            (
                m.version(),
                m.up().file().split('_').next().map_or(0, str::len),
            )
        })
        .collect();
    let entries = std::fs::read_dir(&dir).map_err(|e| Failure {
        code: 1,
        kind: "io",
        message: format!("cannot read `{}`: {e}", dir.display()),
    })?;
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if let Some(digits) = file
            .split('_')
            .next()
            .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        {
            if let Ok(version) = digits.parse::<i64>() {
                versions.push((version, digits.len()));
            }
        }
    }
    let highest = versions.iter().map(|(v, _)| *v).max().unwrap_or(0);
    let width = versions
        .iter()
        .find(|(v, _)| *v == highest)
        .map_or(4, |(_, w)| *w)
        .max(1);
    let version = if highest >= 10_000_000_000_000 {
        utc_timestamp().max(highest + 1)
    } else {
        highest + 1
    };
    let stem = format!("{version:0width$}_{name}");
    let files: Vec<(PathBuf, String)> = match kind {
        NewKind::Reversible => vec![
            (dir.join(format!("{stem}.up.sql")), format!("-- {name}\n")),
            (
                dir.join(format!("{stem}.down.sql")),
                format!("-- revert {name}\n"),
            ),
        ],
        NewKind::Simple => vec![(dir.join(format!("{stem}.sql")), format!("-- {name}\n"))],
        NewKind::Rust {
            connection,
            reversible,
        } => vec![(
            dir.join(format!("{stem}.rs")),
            rust_template(name, connection, reversible),
        )],
    };
    for (path, content) in &files {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .map_err(|e| Failure {
                code: 1,
                kind: "io",
                message: format!("cannot create `{}`: {e}", path.display()),
            })?;
        std::io::Write::write_all(&mut file, content.as_bytes()).map_err(|e| Failure {
            code: 1,
            kind: "io",
            message: format!("cannot write `{}`: {e}", path.display()),
        })?;
    }
    if json {
        let paths: Vec<String> = files
            .iter()
            .map(|(p, _)| quote(&p.display().to_string()))
            .collect();
        return Ok(format!(
            "{{\"version\":{version},\"files\":[{}]}}\n",
            paths.join(",")
        ));
    }
    let mut out = String::new();
    for (path, _) in &files {
        let _ = writeln!(out, "created {}", path.display());
    }
    let _ = writeln!(
        out,
        "write the migration, then rebuild: the binary embeds migrations at compile time"
    );
    Ok(out)
}

/// The current UTC time as YYYYMMDDHHMMSS.
fn utc_timestamp() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    ((year * 100 + month) * 100 + day) * 1_000_000
        + (rest / 3600) * 10_000
        + (rest % 3600 / 60) * 100
        + rest % 60
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(quote("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }

    #[test]
    fn times_in_the_table_are_shown_to_the_millisecond() {
        assert_eq!(
            to_millis("2026-12-02T06:35:25.123456Z"),
            "2026-12-02T06:35:25.123Z"
        );
        assert_eq!(
            to_millis("2026-12-02T06:35:25.123Z"),
            "2026-12-02T06:35:25.123Z"
        );
        assert_eq!(to_millis("2026-12-02T06:35:25Z"), "2026-12-02T06:35:25Z");
    }

    #[test]
    fn timestamps_are_fourteen_digits() {
        let now = utc_timestamp();
        assert!(
            (20_200_101_000_000..21_000_101_000_000).contains(&now),
            "{now}"
        );
    }
}
