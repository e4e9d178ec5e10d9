//! What the numbers were measured on.

use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::db::Servers;

#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct Machine {
    pub date: String,
    pub nproc: String,
    pub memory: String,
    pub cpu: String,
    pub os: String,
    pub kernel: String,
    pub rustc: String,
    pub postgres: String,
    pub postgres_settings: String,
    pub mariadb: String,
    pub mariadb_settings: String,
    pub sqlite: String,
    /// Versions of the compared crates, from the bench's Cargo.lock.
    pub crates: Vec<(String, String)>,
    /// `git describe --always --dirty` of the migrate checkout measured.
    pub migrate_commit: String,
    /// Uncommitted changes to the migrate crates at the time of the run (`git status`).
    pub migrate_changes: String,
}

fn command(program: &str, args: &[&str]) -> String {
    match Command::new(program).args(args).output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        Ok(out) => format!(
            "unknown (`{program}` failed: {})",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => format!("unknown (`{program}`: {e})"),
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn memory() -> String {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            info.lines().find(|l| l.starts_with("MemTotal")).map(|l| {
                let kib: f64 = l
                    .split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0.0);
                format!("{:.1} GiB", kib / 1024.0 / 1024.0)
            })
        })
        .unwrap_or_else(|| "unknown".into())
}

fn os() -> String {
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("PRETTY_NAME="))
                .map(|l| l["PRETTY_NAME=".len()..].trim_matches('"').to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

pub fn crate_versions() -> Vec<(String, String)> {
    let lock = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.lock"))
        .unwrap_or_default();
    let wanted = [
        "sqlx",
        "refinery",
        "refinery-core",
        "tokio-postgres",
        "diesel",
        "diesel_migrations",
        "libsqlite3-sys",
        "pq-sys",
    ];
    let mut found = Vec::new();
    let mut name = None;
    for line in lock.lines() {
        if let Some(v) = line.strip_prefix("name = ") {
            name = Some(v.trim_matches('"').to_string());
        } else if let Some(v) = line.strip_prefix("version = ") {
            if let Some(n) = name.take() {
                if wanted.contains(&n.as_str()) {
                    found.push((n, v.trim_matches('"').to_string()));
                }
            }
        }
    }
    found
}

pub async fn collect(servers: &Servers) -> Machine {
    let postgres = match &servers.pg {
        Some(pool) => sqlx::query_scalar::<_, String>("SELECT version()")
            .fetch_one(pool)
            .await
            .unwrap_or_else(|e| format!("unknown ({e})")),
        None => format!(
            "not reachable: {}",
            servers.pg_error.clone().unwrap_or_default()
        ),
    };
    let postgres_settings = match &servers.pg {
        Some(pool) => sqlx::query_as::<_, (String, String)>(
            "SELECT name, setting FROM pg_settings WHERE name IN \
             ('fsync', 'synchronous_commit', 'shared_buffers', 'max_connections') ORDER BY name",
        )
        .fetch_all(pool)
        .await
        .map(|rows| {
            rows.into_iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_else(|e| format!("unknown ({e})")),
        None => String::new(),
    };
    let mariadb = match &servers.my {
        Some(pool) => sqlx::query_scalar::<_, String>("SELECT VERSION()")
            .fetch_one(pool)
            .await
            .unwrap_or_else(|e| format!("unknown ({e})")),
        None => format!(
            "not reachable: {}",
            servers.my_error.clone().unwrap_or_default()
        ),
    };
    let mariadb_settings = match &servers.my {
        Some(pool) => sqlx::query_as::<_, (String, String)>(
            "SELECT VARIABLE_NAME, VARIABLE_VALUE FROM information_schema.GLOBAL_VARIABLES \
             WHERE VARIABLE_NAME IN ('INNODB_FLUSH_LOG_AT_TRX_COMMIT', 'SYNC_BINLOG', \
             'LOG_BIN', 'INNODB_BUFFER_POOL_SIZE') ORDER BY VARIABLE_NAME",
        )
        .fetch_all(pool)
        .await
        .map(|rows| {
            rows.into_iter()
                .map(|(k, v)| format!("{}={v}", k.to_lowercase()))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_else(|e| format!("unknown ({e})")),
        None => String::new(),
    };
    let sqlite = crate::tools::sqlite_version()
        .await
        .map(|v| format!("{v} (bundled in libsqlite3-sys, the library sqlx links)"))
        .unwrap_or_else(|e| format!("unknown ({e})"));
    Machine {
        date: command("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        nproc: command("nproc", &[]),
        memory: memory(),
        cpu: cpu_model(),
        os: os(),
        kernel: command("uname", &["-r"]),
        rustc: command("rustc", &["--version"]),
        postgres,
        postgres_settings,
        mariadb,
        mariadb_settings,
        sqlite,
        crates: crate_versions(),
        migrate_commit: command(
            "git",
            &[
                "-C",
                concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
                "describe",
                "--always",
                "--dirty",
            ],
        ),
        migrate_changes: command(
            "git",
            &[
                "-C",
                concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                "src",
                "migrate-runtime",
                "migrate-macros",
                "Cargo.toml",
            ],
        )
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(", "),
    }
}
