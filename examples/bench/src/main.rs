//! `migrate-bench`: migrate side by side with sqlx, refinery and diesel_migrations.
//!
//! ```text
//! migrate-bench [run] [--quick] [--db postgres,mariadb,sqlite] [--no-contention]
//!               [--n 10,100,1000] [--tools migrate,sqlx,refinery,diesel]
//!               [--fresh-reps K] [--noop-reps K] [--contention-rounds K]
//! migrate-bench macro [--reps N] [--tools migrate,sqlx,refinery,diesel]
//! migrate-bench large [--reps K]
//! migrate-bench report [--quick]
//! ```
//!
//! `run` (the default) measures no-op start-up, fresh apply, round trips and contention,
//! saves `results/run.json` and writes `../../BENCHMARKS.md` with the charts in `charts/`.
//! `macro` measures the compile-time cost of the macros (minutes), saves
//! `results/macro.json` and writes the report too. `large` applies one 10 MB data file
//! (migrate and sqlx, PostgreSQL and MariaDB), saves `results/large.json` and writes the
//! report. `report` only re-renders.
//!
//! `--n`, `--tools` and the repetition options make a focused run: like `--quick`, it is
//! written to `results/quick.json` and `$TMPDIR/migrate-bench-quick/`, never to
//! BENCHMARKS.md; `macro --tools` likewise writes `results/macro-quick.json` only.

mod bench;
mod db;
mod large;
mod machine;
mod macro_cost;
mod proxy;
mod report;
mod tools;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use report::{MacroFile, RunFile};

fn bench_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn results_dir() -> PathBuf {
    bench_dir().join("results")
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> Option<T> {
    let text = std::fs::read_to_string(path).ok()?;
    match serde_json::from_str(&text) {
        Ok(v) => Some(v),
        Err(e) => {
            eprintln!("warning: ignoring {}: {e}", path.display());
            None
        }
    }
}

fn write_json<T: serde::Serialize>(path: &Path, value: &T) {
    std::fs::create_dir_all(path.parent().unwrap()).expect("results dir");
    std::fs::write(path, serde_json::to_string_pretty(value).unwrap() + "\n")
        .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    eprintln!("wrote {}", path.display());
}

/// Renders BENCHMARKS.md (at the repository root) and the charts from the saved results.
fn write_report(run_path: &Path, markdown: &Path, charts: &Path) {
    let run: Option<RunFile> = read_json(run_path);
    let macro_file: Option<MacroFile> = read_json(&results_dir().join("macro.json"));
    std::fs::create_dir_all(charts).expect("charts dir");
    if let Some(r) = &run {
        let svg = report::chart(
            "No-op start-up: run() with all N applied",
            "median per call, connection already established; lower is better",
            &r.noop,
        );
        std::fs::write(charts.join("noop.svg"), svg).expect("noop.svg");
        let relaxed: Vec<&str> = [
            tools::Tool::Migrate,
            tools::Tool::Sqlx,
            tools::Tool::Refinery,
            tools::Tool::Diesel,
        ]
        .into_iter()
        .filter(|t| {
            r.fresh
                .iter()
                .any(|m| m.tool == *t && m.relaxed_commits.is_some_and(|k| k > 0))
        })
        .map(|t| t.label())
        .collect();
        let subtitle = if relaxed.is_empty() {
            "median per run; lower is better".to_string()
        } else {
            format!(
                "median per run; lower is better\nPostgreSQL: {} relaxed synchronous_commit during the run, the others waited for each commit's flush (see BENCHMARKS.md)",
                relaxed.join(", ")
            )
        };
        let svg = report::chart(
            "Fresh apply: N migrations on an empty database",
            &subtitle,
            &r.fresh,
        );
        std::fs::write(charts.join("fresh.svg"), svg).expect("fresh.svg");
        eprintln!("wrote {}/{{noop,fresh}}.svg", charts.display());
    }
    // The charts' path relative to the markdown file (the repository root, or elsewhere).
    let root = bench_dir().join("../..").canonicalize().unwrap();
    let md_dir = markdown
        .parent()
        .and_then(|p| p.canonicalize().ok())
        .unwrap_or_default();
    let charts_ref = if md_dir == root && charts == bench_dir().join("charts") {
        "examples/bench/charts".to_string()
    } else {
        charts.display().to_string()
    };
    let mut text = report::render(run.as_ref(), macro_file.as_ref(), &charts_ref);
    // Measured by the main workspace's `tests/testing_bench.rs`, not by this harness: kept
    // as written there and appended, so that regenerating the report does not lose it.
    if let Some(large) = read_json::<large::LargeFile>(&results_dir().join("large.json")) {
        text.push('\n');
        text.push_str(&large::render(&large));
    }
    if let Ok(testing) = std::fs::read_to_string(results_dir().join("testing.md")) {
        text.push('\n');
        text.push_str(&testing);
    }
    std::fs::write(markdown, text).unwrap_or_else(|e| panic!("{}: {e}", markdown.display()));
    eprintln!("wrote {}", markdown.display());
}

fn usage() -> ExitCode {
    eprintln!(
        "usage: migrate-bench [run] [--quick] [--db postgres,mariadb,sqlite] [--no-contention]\n\
         \x20                   [--n 10,100,1000] [--tools migrate,sqlx,refinery,diesel]\n\
         \x20                   [--fresh-reps K] [--noop-reps K] [--contention-rounds K]\n\
         \x20      migrate-bench macro [--reps N] [--tools migrate,sqlx,refinery,diesel]\n\
         \x20      migrate-bench large [--reps K]\n\
         \x20      migrate-bench report [--quick]"
    );
    ExitCode::from(2)
}

/// `migrate,sqlx,...` as tools; `None` for an unknown name.
fn parse_tools(list: &str) -> Option<Vec<tools::Tool>> {
    list.split(',')
        .map(|name| {
            tools::Tool::ALL
                .into_iter()
                .find(|t| t.short() == name || t.label() == name)
        })
        .collect()
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (command, rest) = match args.first().map(String::as_str) {
        Some("run") | Some("macro") | Some("report") | Some("large") => {
            (args[0].clone(), &args[1..])
        }
        Some("help") | Some("--help") | Some("-h") => return usage(),
        _ => ("run".to_string(), &args[..]),
    };
    let markdown = bench_dir().join("../../BENCHMARKS.md");
    let charts = bench_dir().join("charts");
    match command.as_str() {
        "report" => match rest {
            [] => write_report(&results_dir().join("run.json"), &markdown, &charts),
            [quick] if quick == "--quick" => {
                let tmp = std::env::temp_dir().join("migrate-bench-quick");
                write_report(
                    &results_dir().join("quick.json"),
                    &tmp.join("BENCHMARKS.md"),
                    &tmp.join("charts"),
                );
            }
            _ => return usage(),
        },
        "large" => {
            let reps = match rest {
                [] => 3,
                [flag, reps] if flag == "--reps" => match reps.parse() {
                    Ok(reps) => reps,
                    Err(_) => return usage(),
                },
                _ => return usage(),
            };
            let started = Instant::now();
            let servers = db::Servers::connect().await;
            let machine = machine::collect(&servers).await;
            let results = large::measure(&servers, reps).await;
            servers.cleanup();
            let file = large::LargeFile {
                machine,
                command: format!("migrate-bench {}", args.join(" ")),
                bytes: large::bytes(),
                statements: large::STATEMENTS,
                results,
            };
            write_json(&results_dir().join("large.json"), &file);
            write_report(&results_dir().join("run.json"), &markdown, &charts);
            eprintln!("large run took {:.0} s", started.elapsed().as_secs_f64());
        }
        "macro" => {
            let mut reps = 3;
            let mut chosen: Option<Vec<tools::Tool>> = None;
            let mut it = rest.iter();
            while let Some(arg) = it.next() {
                match arg.as_str() {
                    "--reps" => match it.next().and_then(|v| v.parse().ok()) {
                        Some(v) => reps = v,
                        None => return usage(),
                    },
                    "--tools" => match it.next().and_then(|v| parse_tools(v)) {
                        Some(v) => chosen = Some(v),
                        None => return usage(),
                    },
                    _ => return usage(),
                }
            }
            let started = Instant::now();
            let loadavg_start = loadavg();
            let servers = db::Servers::connect().await;
            let machine = machine::collect(&servers).await;
            servers.cleanup();
            let focused = chosen.is_some();
            let results =
                macro_cost::measure(reps, &chosen.unwrap_or_else(|| tools::Tool::ALL.to_vec()));
            let file = MacroFile {
                machine,
                command: format!("migrate-bench macro {}", args[1..].join(" "))
                    .trim()
                    .to_string(),
                reps,
                duration_s: started.elapsed().as_secs_f64(),
                loadavg_start,
                loadavg_end: loadavg(),
                results,
            };
            if focused {
                for r in &file.results {
                    eprintln!(
                        "  {:<18} added {:>6.2} s (1000 - 1: {:>6.2} s); CPU {:>6.2} s (1000 - 1: {:>6.2} s); binary {:>+9} bytes",
                        r.tool.label(),
                        r.added_s().unwrap_or(f64::NAN),
                        r.per_n_s().unwrap_or(f64::NAN),
                        r.added_cpu_s().unwrap_or(f64::NAN),
                        r.per_n_cpu_s().unwrap_or(f64::NAN),
                        r.added_bytes().unwrap_or(0)
                    );
                }
                write_json(&results_dir().join("macro-quick.json"), &file);
            } else {
                write_json(&results_dir().join("macro.json"), &file);
                write_report(&results_dir().join("run.json"), &markdown, &charts);
            }
            eprintln!("macro run took {:.0} s", started.elapsed().as_secs_f64());
        }
        _ => {
            let mut options = bench::Options::full();
            let mut quick = false;
            // Focus options given after `--quick` override its values.
            let mut focus: Vec<(&str, usize)> = Vec::new();
            let mut sizes = None;
            let mut chosen_tools = None;
            let mut contention = true;
            let mut dbs = db::Db::ALL.to_vec();
            let mut it = rest.iter();
            while let Some(arg) = it.next() {
                match arg.as_str() {
                    "--quick" => {
                        quick = true;
                        options = bench::Options::quick();
                    }
                    "--no-contention" => contention = false,
                    "--n" => {
                        let parsed: Option<Vec<usize>> = it.next().and_then(|list| {
                            list.split(',')
                                .map(|n| n.parse().ok().filter(|n| tools::SIZES.contains(n)))
                                .collect()
                        });
                        match parsed {
                            Some(v) => sizes = Some(v),
                            None => return usage(),
                        }
                    }
                    "--tools" => match it.next().and_then(|v| parse_tools(v)) {
                        Some(v) => chosen_tools = Some(v),
                        None => return usage(),
                    },
                    flag @ ("--fresh-reps" | "--noop-reps" | "--contention-rounds") => {
                        match it.next().and_then(|v| v.parse().ok()) {
                            Some(v) => focus.push((flag, v)),
                            None => return usage(),
                        }
                    }
                    "--db" => {
                        let Some(list) = it.next() else {
                            return usage();
                        };
                        let mut chosen = Vec::new();
                        for name in list.split(',') {
                            chosen.push(match name {
                                "postgres" => db::Db::Postgres,
                                "mariadb" | "mysql" => db::Db::MariaDb,
                                "sqlite" => db::Db::Sqlite,
                                _ => return usage(),
                            });
                        }
                        dbs = chosen;
                    }
                    _ => return usage(),
                }
            }
            if sizes.is_some() || chosen_tools.is_some() || !focus.is_empty() {
                quick = true;
            }
            if let Some(sizes) = sizes {
                options.sizes = sizes;
            }
            if let Some(chosen) = chosen_tools {
                options.tools = chosen;
            }
            for (flag, value) in focus {
                match flag {
                    "--fresh-reps" => options.fresh_reps = value.max(1),
                    "--noop-reps" => options.noop_reps = value,
                    _ => options.contention_rounds = value,
                }
            }
            let started = Instant::now();
            let loadavg_start = loadavg();
            let servers = db::Servers::connect().await;
            let machine = machine::collect(&servers).await;
            eprintln!(
                "{} cores, {}, {}; migrate at {}",
                machine.nproc, machine.memory, machine.cpu, machine.migrate_commit
            );
            let bench::FreshAndNoop {
                fresh,
                relaxed: fresh_relaxed,
                noop,
                skipped,
            } = bench::fresh_and_noop(&servers, &options, &dbs).await;
            let contention = if contention && dbs.contains(&db::Db::Postgres) {
                bench::contention(&servers, &options).await
            } else {
                Vec::new()
            };
            servers.cleanup();
            let file = RunFile {
                machine,
                command: format!("migrate-bench {}", args.join(" "))
                    .trim()
                    .to_string(),
                options,
                duration_s: started.elapsed().as_secs_f64(),
                loadavg_start,
                loadavg_end: loadavg(),
                skipped,
                fresh,
                fresh_relaxed,
                noop,
                contention,
            };
            let elapsed = started.elapsed().as_secs_f64();
            if quick {
                let path = results_dir().join("quick.json");
                write_json(&path, &file);
                let tmp = std::env::temp_dir().join("migrate-bench-quick");
                write_report(&path, &tmp.join("BENCHMARKS.md"), &tmp.join("charts"));
            } else {
                write_json(&results_dir().join("run.json"), &file);
                write_report(&results_dir().join("run.json"), &markdown, &charts);
            }
            eprintln!("run took {elapsed:.0} s");
        }
    }
    ExitCode::SUCCESS
}
