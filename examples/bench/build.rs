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
    // Rebuild when anything under generated/ changes (sqlx, refinery and diesel read the
    // directories at compile time too); `track` also tells `embed_migrations!` it is tracked.
    migrate::build::track("generated");
}
