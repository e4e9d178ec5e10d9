//! One large data file (a 10 MB seed file of 86,843 statements, issue 12): migrate against
//! sqlx on PostgreSQL, where the file runs outside a transaction (`no-transaction`, so it runs
//! statement by statement), and on MariaDB, where every migration runs statement by
//! statement. Each repetition applies the file to a fresh database and checks the rows.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::db::{Db, Servers};
use crate::machine::Machine;
use crate::tools::Tool;

/// Statements in the file (its table and one INSERT per row), as `build.rs` writes it.
pub const STATEMENTS: i64 = 86_843;

mod migrate_pg {
    migrate::embed_migrations!("generated/large_migrate_pg", dialect = "postgres");
}
mod migrate_my {
    migrate::embed_migrations!("generated/large_migrate_my", dialect = "mysql");
}
static SQLX_PG: sqlx::migrate::Migrator = sqlx::migrate!("generated/large_sqlx_pg");
static SQLX_MY: sqlx::migrate::Migrator = sqlx::migrate!("generated/large_sqlx_my");

/// The saved run of `migrate-bench large`.
#[derive(Serialize, Deserialize)]
pub struct LargeFile {
    pub machine: Machine,
    pub command: String,
    pub bytes: usize,
    pub statements: i64,
    pub results: Vec<LargeResult>,
}

/// One tool on one database: the seconds of each repetition, or why it failed.
#[derive(Serialize, Deserialize)]
pub struct LargeResult {
    pub db: Db,
    pub tool: Tool,
    pub seconds: Vec<f64>,
    pub error: Option<String>,
}

impl LargeResult {
    pub fn median(&self) -> Option<f64> {
        crate::bench::percentile(&self.seconds, 0.5)
    }
}

/// The size of the file, in bytes.
pub fn bytes() -> usize {
    migrate_my::migrations::MIGRATIONS
        .iter()
        .map(|m| m.up().sql().len())
        .sum()
}

/// Applies the file `reps` times per tool and database, the tools taking turns within each
/// repetition, so that a drift of the server over the run (its WAL, its caches) weighs on both.
pub async fn measure(servers: &Servers, reps: usize) -> Vec<LargeResult> {
    let mut results = Vec::new();
    for db in [Db::Postgres, Db::MariaDb] {
        let mut pair: Vec<LargeResult> = [Tool::Migrate, Tool::Sqlx]
            .into_iter()
            .map(|tool| LargeResult {
                db,
                tool,
                seconds: Vec::new(),
                error: servers.unavailable(db),
            })
            .collect();
        for rep in 0..reps {
            for result in pair.iter_mut().filter(|r| r.error.is_none()) {
                match once(servers, db, result.tool).await {
                    Ok(seconds) => {
                        eprintln!(
                            "  {} {} rep {rep}: {seconds:.2} s",
                            db.label(),
                            result.tool.label()
                        );
                        result.seconds.push(seconds);
                    }
                    Err(error) => result.error = Some(error),
                }
            }
        }
        results.extend(pair);
    }
    results
}

/// Connects a `$pool` type to `$url`, times `$tool`'s run (migrate's `$migrate` module or
/// sqlx's `$sqlx` migrator), and counts the rows: `(seconds, rows)`.
macro_rules! timed {
    ($pool:ty, $url:expr, $tool:expr, $migrate:ident, $sqlx:ident) => {{
        let pool = <$pool>::connect($url).await.map_err(|e| e.to_string())?;
        let started = Instant::now();
        match $tool {
            Tool::Migrate => $migrate::migrations::run(&pool)
                .await
                .map(drop)
                .map_err(|e| e.to_string())?,
            _ => $sqlx.run(&pool).await.map_err(|e| e.to_string())?,
        }
        let seconds = started.elapsed().as_secs_f64();
        let rows = sqlx::query_scalar("SELECT COUNT(*) FROM large_rows")
            .fetch_one(&pool)
            .await
            .map_err(|e| e.to_string())?;
        pool.close().await;
        (seconds, rows)
    }};
}

/// One application to a fresh database; its seconds, after checking every row arrived.
async fn once(servers: &Servers, db: Db, tool: Tool) -> Result<f64, String> {
    let fresh = servers.fresh(db).await?;
    let outcome = async {
        let (seconds, rows): (f64, i64) = match db {
            Db::Postgres => timed!(sqlx::PgPool, &fresh.url, tool, migrate_pg, SQLX_PG),
            _ => timed!(sqlx::MySqlPool, &fresh.url, tool, migrate_my, SQLX_MY),
        };
        if rows != STATEMENTS - 1 {
            return Err(format!(
                "{rows} rows after the run, {} expected",
                STATEMENTS - 1
            ));
        }
        Ok(seconds)
    }
    .await;
    servers.drop_db(&fresh).await;
    outcome
}

/// The section of BENCHMARKS.md.
pub fn render(file: &LargeFile) -> String {
    use std::fmt::Write;
    let mut w = String::new();
    let _ = writeln!(w, "## One large data file\n");
    let _ = writeln!(
        w,
        "Measured {} at migrate `{}`. Command: `{}`. A seed file of {:.1} MB and {} statements (a table, then one single-row \
         `INSERT` per line), applied to a fresh database per repetition; the rows are counted \
         after each run. On PostgreSQL the file says `no-transaction` (each tool's own \
         directive), so migrate runs it statement by statement with its progress recorded; on \
         MariaDB every migration runs that way. Seconds, median of the repetitions (each \
         repetition in brackets; the tools take turns within each repetition).\n",
        file.machine.date,
        file.machine.migrate_commit,
        file.command,
        file.bytes as f64 / 1e6,
        thousands(file.statements)
    );
    let _ = writeln!(w, "| database | migrate | sqlx | migrate / sqlx |");
    let _ = writeln!(w, "|---|---:|---:|---:|");
    for db in [Db::Postgres, Db::MariaDb] {
        let cell = |tool: Tool| {
            let Some(result) = file.results.iter().find(|r| r.db == db && r.tool == tool) else {
                return ("not run".to_owned(), None);
            };
            if let Some(error) = &result.error {
                return (format!("failed: {error}"), None);
            }
            let reps: Vec<String> = result.seconds.iter().map(|s| format!("{s:.2}")).collect();
            let median = result.median();
            (
                format!(
                    "{} ({})",
                    median.map_or("-".to_owned(), |m| format!("{m:.2} s")),
                    reps.join(", ")
                ),
                median,
            )
        };
        let (migrate, m) = cell(Tool::Migrate);
        let (sqlx, s) = cell(Tool::Sqlx);
        let ratio = match (m, s) {
            (Some(m), Some(s)) if s > 0.0 => format!("{:.2}×", m / s),
            _ => "-".to_owned(),
        };
        let _ = writeln!(w, "| {} | {migrate} | {sqlx} | {ratio} |", db.label());
    }
    let _ = writeln!(
        w,
        "\nHow migrate keeps up although it records its progress: consecutive data statements \
         run in groups, each group with the update of its progress in one transaction sent as \
         one message (one round trip and one commit per group); a group grows (up to 8,192 \
         statements or 1 MiB) while it takes under 50 ms and shrinks above 200 ms, so it holds \
         its rows' locks about that long at most; the next group is prepared while the server \
         runs the current one. On PostgreSQL every group but the last commits without waiting \
         for the disk, as whole migrations do. sqlx sends the whole file as one multi-statement \
         query and records nothing until it ends: on PostgreSQL that is one transaction, on \
         MariaDB one commit per statement.\n"
    );
    w
}

/// `n` with a comma between each group of three digits.
fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}
