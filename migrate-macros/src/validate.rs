//! Checks across files: duplicate versions, up/down pairing, simple-and-reversible clashes.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::input::Input;
use crate::scan::{Dir, File, Role};

/// One migration: its up (or simple) file and, when reversible, its down file.
pub struct Migration {
    pub version: i64,
    pub description: String,
    pub up: File,
    pub down: Option<File>,
}

/// The validated set, ordered by version.
pub struct Set {
    /// The resolved directory.
    pub dir: PathBuf,
    pub migrations: Vec<Migration>,
}

/// Groups the files into migrations, reporting every clash.
pub fn validate(input: &Input, dir: Dir) -> syn::Result<Set> {
    let mut by_version: BTreeMap<i64, Vec<File>> = BTreeMap::new();
    for file in dir.files {
        by_version.entry(file.version).or_default().push(file);
    }
    let mut problems = dir.problems;
    let mut migrations = Vec::with_capacity(by_version.len());
    for (version, files) in by_version {
        match group(version, files) {
            Ok(migration) => migrations.push(migration),
            Err(message) => problems.push(message),
        }
    }
    problems.into_result(
        input,
        Set {
            dir: dir.path,
            migrations,
        },
    )
}

fn names(files: &[&File]) -> String {
    list(files.iter().map(|f| format!("`{}`", f.name)).collect())
}

/// `a`, `a and b`, `a, b and c`.
fn list(items: Vec<String>) -> String {
    match items.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The migrations that share a version, each named by its up (or only) file with the rest of
/// its files: "`0003_a.up.sql` (with `0003_a.down.sql`) and `3_b.sql`".
fn migrations_named(files: &[File]) -> String {
    let mut stems: Vec<&str> = Vec::new();
    for file in files {
        if !stems.contains(&file.stem.as_str()) {
            stems.push(&file.stem);
        }
    }
    let named = stems
        .into_iter()
        .map(|stem| {
            let mut own: Vec<&File> = files.iter().filter(|f| f.stem == stem).collect();
            // The down file after its up file (it sorts first by name).
            own.sort_by_key(|f| f.role == Role::Down);
            match own.split_first() {
                Some((first, [])) => format!("`{}`", first.name),
                Some((first, rest)) => format!("`{}` (with {})", first.name, names(rest)),
                None => String::new(),
            }
        })
        .collect();
    list(named)
}

/// Turns all files of one version into a migration, or explains why they are not one.
fn group(version: i64, files: Vec<File>) -> Result<Migration, String> {
    let mut stems: Vec<&str> = files.iter().map(|f| f.stem.as_str()).collect();
    stems.sort_unstable();
    stems.dedup();
    if stems.len() > 1 {
        let all_pair_halves = files.len() == 2
            && files.iter().any(|f| f.role == Role::Up)
            && files.iter().any(|f| f.role == Role::Down);
        let hint = if all_pair_halves {
            "an up/down pair must share the same name; rename one half"
        } else {
            "renumber all but one"
        };
        return Err(format!(
            "duplicate migration version {version}: {} ({hint})",
            migrations_named(&files)
        ));
    }

    let find = |role: Role| files.iter().filter(|f| f.role == role).count();
    let (simple, up, down) = (find(Role::Simple), find(Role::Up), find(Role::Down));
    let all: Vec<&File> = files.iter().collect();
    if find(Role::Rust) > 0 && files.len() > 1 {
        let stem = &all[0].stem;
        let hint = if files.len() == 2 && down == 1 {
            format!("a Rust migration is reverted by a `#[migrate::down]` function in `{stem}.rs`, not by a `.down.sql` file")
        } else {
            format!("keep either `{stem}.rs` or the SQL file(s)")
        };
        return Err(format!(
            "migration version {version} is both Rust and SQL: {} ({hint})",
            names(&all)
        ));
    }
    match (simple, up, down) {
        (1, 0, 0) | (0, 1, 1) | (0, 0, 0) => {}
        (1, _, _) => {
            return Err(format!(
                "migration version {version} is both simple and reversible: {} (keep `{stem}.sql` alone, or only `{stem}.up.sql` with `{stem}.down.sql`)",
                names(&all),
                stem = all[0].stem
            ))
        }
        (0, 1, 0) => {
            return Err(format!(
                "`{}` has no matching `{}.down.sql`: add the down migration, or rename it to `{}.sql` if it cannot be reverted",
                all[0].name, all[0].stem, all[0].stem
            ))
        }
        (0, 0, 1) => {
            return Err(format!(
                "`{}` has no matching `{}.up.sql`: add the up migration, or delete the orphan down file",
                all[0].name, all[0].stem
            ))
        }
        _ => {
            return Err(format!(
                "duplicate migration version {version}: {} (renumber all but one)",
                names(&all)
            ))
        }
    }

    let mut up = None;
    let mut down = None;
    let mut description = String::new();
    for file in files {
        description.clone_from(&file.description);
        match file.role {
            Role::Down => down = Some(file),
            Role::Simple | Role::Up | Role::Rust => up = Some(file),
        }
    }
    match up {
        Some(up) => Ok(Migration {
            version,
            description,
            up,
            down,
        }),
        None => Err(format!("migration version {version} has no up file")),
    }
}
