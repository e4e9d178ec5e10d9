//! `migrate-bench macro`: what embedding N=1000 migrations costs at compile time and in the
//! binary, for each tool's macro.
//!
//! For each tool a tiny crate is written to a temporary directory, in three variants:
//! *without* the macro (same dependencies; it connects and runs `SELECT 1`, so the driver is
//! linked), *with* it on one migration, and *with* it on a copy of `generated/<tool>_1000`
//! (each with a call of the tool's run). Each variant is built once untimed (dependencies,
//! shared with the bench's target directory), then `src/main.rs` is touched and the release
//! build timed, `reps` times. Cost = median(with) - median(without); the one-migration
//! variant splits it into the tool's fixed cost and what the N migrations add.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::bench::percentile;
use crate::tools::Tool;

pub const N: usize = 1000;

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct MacroResult {
    pub tool: Tool,
    pub n: usize,
    /// Seconds of each timed rebuild: without the macro, with it on one migration, with it
    /// on all N.
    pub without_s: Vec<f64>,
    #[serde(default)]
    pub with_one_s: Vec<f64>,
    pub with_s: Vec<f64>,
    /// Bytes of the release binary.
    pub size_without: Option<u64>,
    #[serde(default)]
    pub size_with_one: Option<u64>,
    pub size_with: Option<u64>,
    pub error: Option<String>,
    /// CPU seconds (user + system, cargo and the compilers it ran) of each timed rebuild, in
    /// the same order: steadier than the wall time when other work shares the machine.
    /// Empty where `/proc/self/stat` cannot tell.
    #[serde(default)]
    pub without_cpu_s: Vec<f64>,
    #[serde(default)]
    pub with_one_cpu_s: Vec<f64>,
    #[serde(default)]
    pub with_cpu_s: Vec<f64>,
}

impl MacroResult {
    pub fn added_s(&self) -> Option<f64> {
        Some(percentile(&self.with_s, 0.5)? - percentile(&self.without_s, 0.5)?)
    }

    pub fn added_bytes(&self) -> Option<i64> {
        Some(self.size_with? as i64 - self.size_without? as i64)
    }

    /// What the N-1 migrations beyond the first add: with N minus with one.
    pub fn per_n_s(&self) -> Option<f64> {
        Some(percentile(&self.with_s, 0.5)? - percentile(&self.with_one_s, 0.5)?)
    }

    /// [`MacroResult::added_s`] in CPU seconds.
    pub fn added_cpu_s(&self) -> Option<f64> {
        Some(percentile(&self.with_cpu_s, 0.5)? - percentile(&self.without_cpu_s, 0.5)?)
    }

    /// [`MacroResult::per_n_s`] in CPU seconds.
    pub fn per_n_cpu_s(&self) -> Option<f64> {
        Some(percentile(&self.with_cpu_s, 0.5)? - percentile(&self.with_one_cpu_s, 0.5)?)
    }

    pub fn per_n_bytes(&self) -> Option<i64> {
        Some(self.size_with? as i64 - self.size_with_one? as i64)
    }
}

fn manifest(tool: Tool) -> String {
    let migrate = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let migrate = Path::new(migrate)
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from(migrate));
    let migrate = migrate.display();
    let deps = match tool {
        Tool::Migrate => format!(
            "migrate = {{ package = \"checked-migrations\", path = \"{migrate}\", features = [\"postgres\"] }}\n\
             sqlx = {{ version = \"0.9\", default-features = false, features = [\"runtime-tokio\", \"postgres\"] }}\n\
             tokio = {{ version = \"1\", features = [\"rt-multi-thread\", \"macros\"] }}\n\n\
             [build-dependencies]\n\
             migrate = {{ package = \"checked-migrations\", path = \"{migrate}\", default-features = false }}\n"
        ),
        Tool::Sqlx => "sqlx = { version = \"0.9\", default-features = false, features = [\"runtime-tokio\", \"postgres\", \"migrate\", \"macros\"] }\n\
             tokio = { version = \"1\", features = [\"rt-multi-thread\", \"macros\"] }\n"
            .to_string(),
        Tool::Refinery => "refinery = { version = \"0.10\", features = [\"tokio-postgres\"] }\n\
             tokio-postgres = \"0.7\"\n\
             tokio = { version = \"1\", features = [\"rt-multi-thread\", \"macros\"] }\n"
            .to_string(),
        Tool::Diesel => "diesel = { version = \"2.3\", default-features = false, features = [\"postgres\"] }\n\
             diesel_migrations = { version = \"2.3\", features = [\"postgres\"] }\n"
            .to_string(),
    };
    format!(
        "[package]\nname = \"macro-cost-{}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [workspace]\n\n[dependencies]\n{deps}",
        tool.short()
    )
}

fn build_script(tool: Tool) -> &'static str {
    match tool {
        Tool::Migrate => "fn main() {\n    migrate::build::track(\"migrations\");\n    migrate::build::track(\"migrations_1\");\n}\n",
        _ => "fn main() {\n    println!(\"cargo:rerun-if-changed=migrations\");\n    println!(\"cargo:rerun-if-changed=migrations_1\");\n}\n",
    }
}

/// What `src/main.rs` embeds: nothing, one migration, or all N.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Variant {
    Without,
    One,
    Full,
}

fn main_rs(tool: Tool, variant: Variant) -> String {
    let dir = match variant {
        Variant::Full => "migrations",
        _ => "migrations_1",
    };
    let (embed, run) = if variant == Variant::Without {
        (String::new(), "")
    } else {
        match tool {
            Tool::Migrate => (
                format!("migrate::embed_migrations!(\"{dir}\");\n"),
                "    migrations::run(&pool).await.expect(\"migrate\");\n",
            ),
            Tool::Sqlx => (
                // sqlx::migrate! wants a path with a parent component.
                format!("static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!(\"./{dir}\");\n"),
                "    MIGRATOR.run(&pool).await.expect(\"migrate\");\n",
            ),
            Tool::Refinery => (
                format!("refinery::embed_migrations!(\"{dir}\");\n"),
                "    migrations::runner().run_async(&mut client).await.expect(\"migrate\");\n",
            ),
            Tool::Diesel => (
                format!(
                    "use diesel_migrations::{{EmbeddedMigrations, MigrationHarness}};\n\
                     const MIGRATIONS: EmbeddedMigrations = diesel_migrations::embed_migrations!(\"{dir}\");\n"
                ),
                "    conn.run_pending_migrations(MIGRATIONS).expect(\"migrate\");\n",
            ),
        }
    };
    match tool {
        Tool::Migrate | Tool::Sqlx => format!(
            "{embed}\n#[tokio::main]\nasync fn main() {{\n    \
             let url = std::env::args().nth(1).unwrap_or_default();\n    \
             let pool = sqlx::PgPool::connect(&url).await.expect(\"connect\");\n    \
             sqlx::query(\"SELECT 1\").execute(&pool).await.expect(\"query\");\n{run}}}\n"
        ),
        Tool::Refinery => format!(
            "{embed}\n#[tokio::main]\nasync fn main() {{\n    \
             let url = std::env::args().nth(1).unwrap_or_default();\n    \
             let (mut client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.expect(\"connect\");\n    \
             tokio::spawn(async move {{ let _ = connection.await; }});\n    \
             client.simple_query(\"SELECT 1\").await.expect(\"query\");\n{run}    \
             let _ = &mut client;\n}}\n"
        ),
        Tool::Diesel => format!(
            "{embed}\nfn main() {{\n    \
             use diesel::{{Connection, RunQueryDsl}};\n    \
             let url = std::env::args().nth(1).unwrap_or_default();\n    \
             let mut conn = diesel::PgConnection::establish(&url).expect(\"connect\");\n    \
             diesel::sql_query(\"SELECT 1\").execute(&mut conn).expect(\"query\");\n{run}}}\n"
        ),
    }
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// The bench's own target directory (`<target>/release/migrate-bench`), shared so that the
/// dependencies are built once.
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().expect("current exe");
    exe.parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .expect("the binary lives in <target>/release")
}

/// CPU seconds (user + system) of this process's waited-for children so far, from
/// `/proc/self/stat` (in clock ticks of 1/100 s, Linux's fixed `USER_HZ`).
fn children_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // cutime and cstime are fields 16 and 17 of the line, 14 and 15 after the name.
    let ticks: u64 = fields.get(13)?.parse::<u64>().ok()? + fields.get(14)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// A release build in `dir`: its wall time and, where it can be told, its CPU time.
fn cargo_build(dir: &Path, target: &Path) -> Result<(f64, Option<f64>), String> {
    let cpu_before = children_cpu_s();
    let start = Instant::now();
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.args(["build", "--release", "--quiet"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if key.starts_with("CARGO_PKG_")
            || key.starts_with("CARGO_MANIFEST_")
            || key.starts_with("CARGO_BIN_")
            || key == "CARGO_CRATE_NAME"
            || key == "CARGO_PRIMARY_PACKAGE"
        {
            cmd.env_remove(key.as_ref());
        }
    }
    let out = cmd.output().map_err(|e| format!("cargo: {e}"))?;
    let elapsed = start.elapsed().as_secs_f64();
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
        return Err(format!(
            "cargo build failed in {}: {}",
            dir.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        ));
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    if stderr.contains("warning") {
        eprintln!("    (cargo printed warnings)\n{stderr}");
    }
    let cpu = match (cpu_before, children_cpu_s()) {
        (Some(before), Some(after)) => Some(after - before),
        _ => None,
    };
    Ok((elapsed, cpu))
}

fn touch(path: &Path) -> std::io::Result<()> {
    let content = std::fs::read(path)?;
    std::fs::write(path, content)
}

fn measure_tool(tool: Tool, reps: usize, target: &Path) -> MacroResult {
    let mut result = MacroResult {
        tool,
        n: N,
        without_s: Vec::new(),
        with_one_s: Vec::new(),
        with_s: Vec::new(),
        size_without: None,
        size_with_one: None,
        size_with: None,
        error: None,
        without_cpu_s: Vec::new(),
        with_one_cpu_s: Vec::new(),
        with_cpu_s: Vec::new(),
    };
    let dir = std::env::temp_dir().join(format!(
        "migrate-bench-macro-{}-{}",
        tool.short(),
        std::process::id()
    ));
    let outcome = (|| -> Result<(), String> {
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("src")).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("Cargo.toml"), manifest(tool)).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("build.rs"), build_script(tool)).map_err(|e| e.to_string())?;
        // The bench's lock file, so that the same versions (and built artifacts) are used.
        let lock = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock");
        std::fs::copy(lock, dir.join("Cargo.lock")).map_err(|e| e.to_string())?;
        let generated = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("generated")
            .join(format!("{}_{N}", tool.short()));
        copy_dir(&generated, &dir.join("migrations"))
            .map_err(|e| format!("copying {}: {e}", generated.display()))?;
        // The first migration alone, in the same layout.
        let mut first: Vec<_> = std::fs::read_dir(&generated)
            .map_err(|e| e.to_string())?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        first.sort();
        let first = first.first().ok_or("empty generated directory")?;
        let one = dir.join("migrations_1");
        std::fs::create_dir_all(&one).map_err(|e| e.to_string())?;
        let name = first.file_name().unwrap();
        if first.is_dir() {
            copy_dir(first, &one.join(name)).map_err(|e| e.to_string())?;
        } else {
            std::fs::copy(first, one.join(name)).map_err(|e| e.to_string())?;
        }
        let binary = target
            .join("release")
            .join(format!("macro-cost-{}", tool.short()));
        let main = dir.join("src/main.rs");
        for variant in [Variant::Without, Variant::One, Variant::Full] {
            std::fs::write(&main, main_rs(tool, variant)).map_err(|e| e.to_string())?;
            let label = match variant {
                Variant::Without => "without the macro".to_string(),
                Variant::One => "with the macro on 1 migration".to_string(),
                Variant::Full => format!("with the macro on {N} migrations"),
            };
            eprintln!("  {} {label}: untimed build", tool.label());
            let (first, _) = cargo_build(&dir, target)?;
            eprintln!("    {first:.1} s");
            for _ in 0..reps {
                touch(&main).map_err(|e| e.to_string())?;
                let (seconds, cpu) = cargo_build(&dir, target)?;
                eprintln!(
                    "    touched main.rs, rebuilt in {seconds:.2} s ({} CPU)",
                    cpu.map_or_else(|| "unknown".to_string(), |c| format!("{c:.2} s"))
                );
                let (wall, cpus) = match variant {
                    Variant::Without => (&mut result.without_s, &mut result.without_cpu_s),
                    Variant::One => (&mut result.with_one_s, &mut result.with_one_cpu_s),
                    Variant::Full => (&mut result.with_s, &mut result.with_cpu_s),
                };
                wall.push(seconds);
                cpus.extend(cpu);
            }
            let size = std::fs::metadata(&binary)
                .map_err(|e| format!("{}: {e}", binary.display()))?
                .len();
            match variant {
                Variant::Without => result.size_without = Some(size),
                Variant::One => result.size_with_one = Some(size),
                Variant::Full => result.size_with = Some(size),
            }
        }
        Ok(())
    })();
    if let Err(e) = outcome {
        eprintln!("  FAILED {}: {e}", tool.label());
        result.error = Some(e);
    }
    let _ = std::fs::remove_dir_all(&dir);
    result
}

pub fn measure(reps: usize, tools: &[Tool]) -> Vec<MacroResult> {
    let target = target_dir();
    eprintln!("macro cost: N={N}, target dir {}", target.display());
    tools
        .iter()
        .map(|&tool| measure_tool(tool, reps, &target))
        .collect()
}
