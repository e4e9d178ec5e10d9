//! Generates the migration directories the benchmarks embed, in each tool's layout, into
//! `generated/` (ignored by git). Every migration is the same portable SQL:
//! a table and two rows, valid on PostgreSQL, MariaDB and SQLite.
//!
//! Files are written only when their content differs, so that a rebuild does not see them
//! as changed.

use std::fs;
use std::path::{Path, PathBuf};

const SIZES: [usize; 3] = [10, 100, 1000];

fn sql(n: usize) -> String {
    format!(
        "CREATE TABLE t_{n} (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n\
         INSERT INTO t_{n} (id, name) VALUES (1, 'first row of {n}'), (2, 'second row of {n}');\n"
    )
}

/// Statements in the large data file: its table and one INSERT per row.
const LARGE_STATEMENTS: usize = 86_843;
/// The bytes of each INSERT line, padded, so that the file is about 10 MB.
const LARGE_LINE: usize = 115;

/// The large data file: `directive`, a table, and `LARGE_STATEMENTS - 1` single-row INSERTs.
fn large_sql(directive: &str) -> String {
    let mut sql = String::with_capacity(LARGE_STATEMENTS * LARGE_LINE + 200);
    sql.push_str(directive);
    sql.push_str("CREATE TABLE large_rows (id BIGINT PRIMARY KEY, name VARCHAR(200) NOT NULL);\n");
    for id in 1..LARGE_STATEMENTS {
        let head =
            format!("INSERT INTO large_rows (id, name) VALUES ({id}, 'row {id} of the seed data ");
        let tail = "');\n";
        let pad = LARGE_LINE.saturating_sub(head.len() + tail.len());
        sql.push_str(&head);
        sql.push_str(&"x".repeat(pad));
        sql.push_str(tail);
    }
    sql
}

fn write_if_changed(path: &Path, content: &str) {
    if fs::read_to_string(path).ok().as_deref() == Some(content) {
        return;
    }
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, content).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// Removes entries of `dir` that are not in `keep` (a stale file from an older layout would
/// otherwise be embedded too).
fn prune(dir: &Path, keep: &[String]) {
    if let Ok(entries) = fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !keep.contains(&name) {
                let path = entry.path();
                if path.is_dir() {
                    fs::remove_dir_all(&path).unwrap();
                } else {
                    fs::remove_file(&path).unwrap();
                }
            }
        }
    }
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let root = PathBuf::from("generated");
    for n in SIZES {
        // migrate and sqlx: `<version>_<description>.sql` (the same layout; two directories so
        // that each tool embeds its own).
        for tool in ["migrate", "sqlx"] {
            let dir = root.join(format!("{tool}_{n}"));
            let names: Vec<String> = (1..=n)
                .map(|i| format!("{i:05}_create_t_{i}.sql"))
                .collect();
            for (i, name) in (1..=n).zip(&names) {
                write_if_changed(&dir.join(name), &sql(i));
            }
            prune(&dir, &names);
        }
        // refinery: `V<version>__<name>.sql`.
        let dir = root.join(format!("refinery_{n}"));
        let names: Vec<String> = (1..=n).map(|i| format!("V{i}__create_t_{i}.sql")).collect();
        for (i, name) in (1..=n).zip(&names) {
            write_if_changed(&dir.join(name), &sql(i));
        }
        prune(&dir, &names);
        // diesel_migrations: a folder `<version>_<name>` holding `up.sql` (a `down.sql` is
        // optional, and the other tools get none either).
        let dir = root.join(format!("diesel_{n}"));
        let names: Vec<String> = (1..=n).map(|i| format!("{i:05}_create_t_{i}")).collect();
        for (i, name) in (1..=n).zip(&names) {
            write_if_changed(&dir.join(name).join("up.sql"), &sql(i));
        }
        prune(&dir, &names);
    }
    // One large data file (issue 12: a 10 MB seed file of 86,843 statements), for migrate
    // and sqlx, on PostgreSQL outside a transaction and on MariaDB.
    for (dir, directive) in [
        ("large_migrate_pg", "-- migrate:no-transaction\n"),
        ("large_sqlx_pg", "-- no-transaction\n"),
        ("large_migrate_my", ""),
        ("large_sqlx_my", ""),
    ] {
        let dir = root.join(dir);
        let name = "00001_large_data.sql".to_owned();
        write_if_changed(&dir.join(&name), &large_sql(directive));
        prune(&dir, &[name]);
    }
    // Rebuild when anything under generated/ changes (sqlx, refinery and diesel read the
    // directories at compile time too); `track` also tells `embed_migrations!` it is tracked.
    migrate::build::track("generated");
}
