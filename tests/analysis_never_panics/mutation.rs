//! Real SQL, mutated: windows of consecutive files of real directories, with characters
//! deleted and inserted, statements swapped and repeated, and files cut short.

use std::sync::OnceLock;

use migrate::lint::Dialect;
use migrate_tests::corpus::{self, Layout, MigrationFile, Role};
use proptest::prelude::*;

use super::generated::token;
use super::CaseFile;

/// The real directories: this repository's, and the corpus's when it is there (skipped with
/// a printed reason otherwise, failing when `CI` is set).
pub fn real_directories() -> &'static [Vec<MigrationFile>] {
    static DIRECTORIES: OnceLock<Vec<Vec<MigrationFile>>> = OnceLock::new();
    DIRECTORIES.get_or_init(|| {
        let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut directories = Vec::new();
        let mut ours = vec![manifest.join("../migrations")];
        let fixtures = std::fs::read_dir(manifest.join("fixtures"))
            .unwrap_or_else(|e| panic!("tests/fixtures: {e}"));
        ours.extend(fixtures.flatten().map(|e| e.path()).filter(|p| p.is_dir()));
        ours.sort();
        for dir in ours {
            let files = corpus::read_migrations(&dir, Layout::Sqlx)
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            directories.push(files);
        }
        match corpus::root() {
            Some(root) => {
                let corpus = corpus::directories(&root).unwrap_or_else(|e| panic!("{e}"));
                directories.extend(corpus.into_iter().map(|d| d.files));
            }
            None if std::env::var_os("CI").is_some_and(|ci| !ci.is_empty()) => {
                panic!("../shared/corpus not found beside the repository (CI is set: there it must be)")
            }
            None => eprintln!(
                "skipped: ../shared/corpus not found beside the repository; the mutations use only this repository's SQL"
            ),
        }
        for files in &mut directories {
            files.retain(|file| file.role != Role::Rust);
        }
        directories.retain(|files| !files.is_empty());
        directories
    })
}

/// A position in a sequence of any length: the fraction `0 / 2^32` to `(2^32 - 1) / 2^32` of
/// it (shrinks towards the first element).
#[derive(Clone, Copy, Debug)]
pub struct Pick(pub u32);

impl Pick {
    fn index(self, len: usize) -> usize {
        ((u64::from(self.0) * len as u64) >> 32) as usize
    }

    fn get<T>(self, slice: &[T]) -> &T {
        &slice[self.index(slice.len())]
    }
}

fn pick() -> impl Strategy<Value = Pick> {
    any::<u32>().prop_map(Pick)
}

/// One change to a file of a window of real migrations.
#[derive(Clone, Debug)]
pub enum Mutation {
    /// Delete up to `len` characters at `at`.
    Delete { file: Pick, at: Pick, len: usize },
    /// Insert `text` at `at`.
    Insert { file: Pick, at: Pick, text: String },
    /// Swap two statements.
    Swap { file: Pick, a: Pick, b: Pick },
    /// Repeat a statement after itself.
    Repeat { file: Pick, a: Pick },
    /// Cut the file at `at`.
    Truncate { file: Pick, at: Pick },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (pick(), pick(), 1..40usize).prop_map(|(file, at, len)| Mutation::Delete { file, at, len }),
        (pick(), pick(), token()).prop_map(|(file, at, text)| Mutation::Insert { file, at, text }),
        (pick(), pick(), pick()).prop_map(|(file, a, b)| Mutation::Swap { file, a, b }),
        (pick(), pick()).prop_map(|(file, a)| Mutation::Repeat { file, a }),
        (pick(), pick()).prop_map(|(file, at)| Mutation::Truncate { file, at }),
    ]
}

/// The char boundary of `text` that `at` picks.
fn boundary(text: &str, at: Pick) -> usize {
    let boundaries: Vec<usize> = text
        .char_indices()
        .map(|(offset, _)| offset)
        .chain([text.len()])
        .collect();
    boundaries[at.index(boundaries.len())]
}

/// The byte ranges of the statements of `sql`.
fn statement_ranges(sql: &str) -> Vec<std::ops::Range<usize>> {
    migrate_runtime::statements::split(sql, Dialect::Postgres)
        .iter()
        .map(|s| s.offset..s.offset + s.sql.len())
        .collect()
}

impl Mutation {
    pub fn apply(&self, files: &mut [CaseFile]) {
        let file = match *self {
            Mutation::Delete { file, .. }
            | Mutation::Insert { file, .. }
            | Mutation::Swap { file, .. }
            | Mutation::Repeat { file, .. }
            | Mutation::Truncate { file, .. } => file.index(files.len()),
        };
        let sql = &mut files[file].sql;
        match self {
            Mutation::Delete { at, len, .. } => {
                let start = boundary(sql, *at);
                let end = sql[start..]
                    .char_indices()
                    .nth(*len)
                    .map_or(sql.len(), |(offset, _)| start + offset);
                sql.replace_range(start..end, "");
            }
            Mutation::Insert { at, text, .. } => {
                let at = boundary(sql, *at);
                sql.insert_str(at, text);
            }
            Mutation::Swap { a, b, .. } => {
                let ranges = statement_ranges(sql);
                if ranges.len() < 2 {
                    return;
                }
                let (mut a, mut b) = (a.get(&ranges).clone(), b.get(&ranges).clone());
                if a.start > b.start {
                    std::mem::swap(&mut a, &mut b);
                }
                if a == b {
                    return;
                }
                let swapped = format!(
                    "{}{}{}{}{}",
                    &sql[..a.start],
                    &sql[b.clone()],
                    &sql[a.end..b.start],
                    &sql[a.clone()],
                    &sql[b.end..]
                );
                *sql = swapped;
            }
            Mutation::Repeat { a, .. } => {
                let ranges = statement_ranges(sql);
                if ranges.is_empty() {
                    return;
                }
                let a = a.get(&ranges).clone();
                let repeated = format!(";\n{}", &sql[a.clone()]);
                sql.insert_str(a.end, &repeated);
            }
            Mutation::Truncate { at, .. } => {
                let at = boundary(sql, *at);
                sql.truncate(at);
            }
        }
    }
}

/// A window of up to six consecutive files of a real directory, mutated.
pub fn mutated_real_sql() -> impl Strategy<Value = Vec<CaseFile>> {
    (
        pick(),
        pick(),
        1..7usize,
        prop::collection::vec(mutation(), 1..6),
    )
        .prop_map(|(directory, start, len, mutations)| {
            let directories = real_directories();
            let files = directory.get(directories);
            let start = start.index(files.len());
            let mut window: Vec<CaseFile> = files[start..files.len().min(start + len)]
                .iter()
                .map(CaseFile::from)
                .collect();
            for mutation in &mutations {
                mutation.apply(&mut window);
            }
            window
        })
}
