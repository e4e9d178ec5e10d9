//! Migration directories read as their tool reads them, for the analysis: the real-world
//! corpus beside the repository (`<repository>/../shared/corpus`, each directory with a
//! `SOURCE.md` that names its layout and backend) and this repository's own directories.
//!
//! The macro reads only sqlx's layout; the corpus also has diesel's
//! (`<version>_<name>/up.sql`, `down.sql`, `metadata.toml`) and refinery's
//! (`V<n>__<name>.sql`). Each is read here in the order its tool applies it, up files
//! followed by their down file, as `migrate::lint::File`s. Nothing is copied anywhere.

use std::path::{Path, PathBuf};

use migrate::lint::{Dialect, File};
use migrate_runtime::source::{directive, name};

/// The corpus directory, when it is there.
pub fn root() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus");
    root.is_dir().then_some(root)
}

/// How a directory lays out its migrations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// `<version>_<name>.sql`, or `.up.sql` and `.down.sql` (also this crate's layout).
    Sqlx,
    /// `<version>_<name>/up.sql` and `down.sql`, `metadata.toml` with
    /// `run_in_transaction = false`; versions in string order.
    Diesel,
    /// `V<n>__<name>.sql`, a `-- refinery:noTransaction` comment line; numeric order.
    Refinery,
}

/// What a file of a migration is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The up (or only) SQL file.
    Up,
    /// The down SQL file.
    Down,
    /// A migration written in Rust (this crate's layout only).
    Rust,
}

/// One file of a migration directory.
#[derive(Clone, Debug)]
pub struct MigrationFile {
    /// The version, as the analysis numbers it.
    pub version: i64,
    /// The path relative to the migrations directory (`2019-…_x/up.sql` for diesel).
    pub name: String,
    /// The content, without a byte order mark.
    pub sql: String,
    /// Whether its tool runs it in one transaction.
    pub transaction: bool,
    /// What the file is.
    pub role: Role,
}

impl MigrationFile {
    /// The file as the analysis reads it.
    pub fn analysis_file(&self) -> File<'_> {
        match self.role {
            Role::Up => File::sql(self.version, &self.name, &self.sql, self.transaction),
            Role::Down => File::down(self.version, &self.name, &self.sql, self.transaction),
            Role::Rust => File::rust(self.version, &self.name),
        }
    }
}

/// A directory of the corpus.
#[derive(Debug)]
pub struct Directory {
    /// Its name in the corpus (`crates-io`).
    pub name: String,
    /// The layout its `SOURCE.md` names.
    pub layout: Layout,
    /// The backend its `SOURCE.md` names.
    pub dialect: Dialect,
    /// Its files in the order its tool applies them, each up file followed by its down file.
    pub files: Vec<MigrationFile>,
}

impl Directory {
    /// The files as the analysis reads them.
    pub fn analysis_files(&self) -> Vec<File<'_>> {
        self.files
            .iter()
            .map(MigrationFile::analysis_file)
            .collect()
    }
}

/// Every directory of the corpus at `root` that has a `SOURCE.md`, by name.
pub fn directories(root: &Path) -> Result<Vec<Directory>, String> {
    let mut names: Vec<String> = entries(root)?
        .into_iter()
        .filter(|name| root.join(name).join("SOURCE.md").is_file())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| directory(root, name))
        .collect()
}

fn directory(root: &Path, name: String) -> Result<Directory, String> {
    let source_md = root.join(&name).join("SOURCE.md");
    let source = read(&source_md)?;
    let field = |field: &str| {
        source
            .lines()
            .filter_map(|line| line.strip_prefix(&format!("| {field} |")))
            .map(|rest| rest.trim().to_ascii_lowercase())
            .next()
            .ok_or_else(|| format!("{}: no `| {field} |` row", source_md.display()))
    };
    let layout = field("layout")?;
    let layout = if layout.starts_with("sqlx") {
        Layout::Sqlx
    } else if layout.starts_with("diesel") {
        Layout::Diesel
    } else if layout.starts_with("refinery") {
        Layout::Refinery
    } else {
        return Err(format!(
            "{}: unknown layout {layout:?}",
            source_md.display()
        ));
    };
    let backend = field("backend")?;
    let dialect = if backend.starts_with("postgres") {
        Dialect::Postgres
    } else if backend.starts_with("mysql") || backend.starts_with("mariadb") {
        Dialect::MySql
    } else if backend.starts_with("sqlite") {
        Dialect::Sqlite
    } else {
        return Err(format!(
            "{}: unknown backend {backend:?}",
            source_md.display()
        ));
    };
    let files = read_migrations(&root.join(&name).join("migrations"), layout)?;
    Ok(Directory {
        name,
        layout,
        dialect,
        files,
    })
}

/// The migration files of `dir`, in the order of `layout`'s tool.
pub fn read_migrations(dir: &Path, layout: Layout) -> Result<Vec<MigrationFile>, String> {
    match layout {
        Layout::Sqlx => sqlx(dir),
        Layout::Diesel => diesel(dir),
        Layout::Refinery => refinery(dir),
    }
}

fn sqlx(dir: &Path) -> Result<Vec<MigrationFile>, String> {
    let mut files = Vec::new();
    for file in entries(dir)? {
        if name::is_ignored(&file) || !dir.join(&file).is_file() {
            continue;
        }
        let parsed = name::parse(&file).map_err(|e| format!("{}: {e}", dir.display()))?;
        let sql = read(&dir.join(&file))?;
        let role = match parsed.role {
            name::Role::Simple | name::Role::Up => Role::Up,
            name::Role::Down => Role::Down,
            name::Role::Rust => Role::Rust,
        };
        files.push(MigrationFile {
            version: parsed.version,
            transaction: !directive::read(&sql).no_transaction,
            name: file,
            sql,
            role,
        });
    }
    files.sort_by_key(|file| (file.version, file.role == Role::Down));
    Ok(files)
}

fn diesel(dir: &Path) -> Result<Vec<MigrationFile>, String> {
    // Diesel ignores the files at the top (a README, a manual script).
    let mut migrations: Vec<(String, String)> = Vec::new();
    for entry in entries(dir)? {
        if entry.starts_with('.') || !dir.join(&entry).is_dir() {
            continue;
        }
        let (version, _) = entry
            .split_once('_')
            .ok_or_else(|| format!("{}/{entry}: no `_` after the version", dir.display()))?;
        migrations.push((version.replace('-', ""), entry));
    }
    // Diesel compares versions as strings.
    migrations.sort();
    let mut files = Vec::new();
    for (digits, entry) in migrations {
        let version: i64 = digits
            .parse()
            .map_err(|e| format!("{}/{entry}: version {digits}: {e}", dir.display()))?;
        let path = dir.join(&entry);
        let metadata = path.join("metadata.toml");
        let transaction = !metadata.is_file() || run_in_transaction(&read(&metadata)?);
        files.push(MigrationFile {
            version,
            name: format!("{entry}/up.sql"),
            sql: read(&path.join("up.sql"))?,
            transaction,
            role: Role::Up,
        });
        if path.join("down.sql").is_file() {
            files.push(MigrationFile {
                version,
                name: format!("{entry}/down.sql"),
                sql: read(&path.join("down.sql"))?,
                transaction,
                role: Role::Down,
            });
        }
    }
    Ok(files)
}

/// `run_in_transaction` of a diesel `metadata.toml` (true unless it says `false`).
fn run_in_transaction(toml: &str) -> bool {
    !toml.lines().any(|line| {
        let line = line.split('#').next().unwrap_or("");
        line.split_once('=').is_some_and(|(key, value)| {
            key.trim() == "run_in_transaction" && value.trim() == "false"
        })
    })
}

fn refinery(dir: &Path) -> Result<Vec<MigrationFile>, String> {
    let mut files = Vec::new();
    for file in entries(dir)? {
        if file.starts_with('.') || !dir.join(&file).is_file() {
            continue;
        }
        let version = file
            .strip_prefix('V')
            .and_then(|rest| rest.split_once("__"))
            .filter(|(_, rest)| rest.ends_with(".sql"))
            .and_then(|(digits, _)| digits.parse::<i64>().ok())
            .ok_or_else(|| {
                format!(
                    "{}/{file}: not a refinery name `V<n>__<name>.sql`",
                    dir.display()
                )
            })?;
        let sql = read(&dir.join(&file))?;
        let transaction = !sql.lines().any(|line| {
            line.trim_start()
                .strip_prefix("--")
                .is_some_and(|comment| comment.trim_start().starts_with("refinery:noTransaction"))
        });
        files.push(MigrationFile {
            version,
            name: file,
            sql,
            transaction,
            role: Role::Up,
        });
    }
    files.sort_by_key(|file| file.version);
    Ok(files)
}

/// The names in `dir`.
fn entries(dir: &Path) -> Result<Vec<String>, String> {
    let read_dir =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut names = Vec::new();
    for entry in read_dir {
        let entry = entry.map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        match entry.file_name().into_string() {
            Ok(name) => names.push(name),
            Err(name) => return Err(format!("{}: non-UTF-8 name {name:?}", dir.display())),
        }
    }
    Ok(names)
}

/// The text of a file, without a byte order mark.
fn read(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    })
}

#[cfg(test)]
mod tests {
    use super::run_in_transaction;

    #[test]
    fn diesel_metadata_turns_the_transaction_off_only_when_it_says_false() {
        assert!(run_in_transaction(""));
        assert!(run_in_transaction("run_in_transaction = true\n"));
        assert!(!run_in_transaction("run_in_transaction = false\n"));
        assert!(!run_in_transaction(
            "  run_in_transaction=false # concurrently\n"
        ));
        assert!(run_in_transaction("# run_in_transaction = false\n"));
    }
}
