//! Reading the migrations directory: which files are migrations, and what each one says.
//!
//! Which names are migrations, and which are ignored, is decided by
//! `migrate_runtime::source::name` (the same code the runtime uses); anything else is
//! reported, so that a misnamed migration (`0004_add_index.sq`, `4-add-index.sql`) is an
//! error instead of being skipped.

use std::path::{Path, PathBuf};

use migrate_runtime::source::directive::{self, Directives};
pub use migrate_runtime::source::name::Role;
use migrate_runtime::source::name::{is_ignored, parse as parse_name};

use crate::input::Input;

/// What a Rust migration file defines: the names of its functions, one per database.
#[derive(Clone, Default, Debug)]
pub struct RustFunctions {
    /// The `#[migrate::up]` functions.
    pub up: Vec<String>,
    /// The `#[migrate::down]` functions: the migration is reversible when there are some.
    pub down: Vec<String>,
}

/// One migration file, read and checked on its own.
pub struct File {
    /// The file name, as it is in the directory.
    pub name: String,
    /// The absolute path, for `include_str!`.
    pub path: PathBuf,
    /// The version, leading zeros dropped.
    pub version: i64,
    /// The description: `[A-Za-z0-9_-]+`.
    pub description: String,
    /// The file name without `.sql`, `.up.sql` or `.down.sql`: what an up/down pair shares.
    pub stem: String,
    /// Simple, up or down.
    pub role: Role,
    /// The content, UTF-8.
    pub content: String,
    /// Directives from the file's header.
    pub directives: Directives,
    /// For a Rust migration, its functions; `None` when the file does not parse (the
    /// compiler then reports where).
    pub rust: Option<RustFunctions>,
}

/// The result of scanning: the directory, its migration files sorted by name, and the
/// problems found so far. A file whose name parses is listed even when its content has a
/// problem, so that the checks across files still see it (an empty `.up.sql` must not make
/// its `.down.sql` look like an orphan).
pub struct Dir {
    /// The resolved directory.
    pub path: PathBuf,
    /// Every file with a migration name.
    pub files: Vec<File>,
    /// Problems with single files.
    pub problems: Problems,
}

/// Collects problem messages and turns them into one combined compile error.
#[derive(Default)]
pub struct Problems(Vec<String>);

impl Problems {
    pub fn push(&mut self, message: String) {
        self.0.push(message);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result<T>(self, input: &Input, value: T) -> syn::Result<T> {
        let mut messages = self.0.into_iter();
        let Some(first) = messages.next() else {
            return Ok(value);
        };
        let mut error = input.error(first);
        for message in messages {
            error.combine(input.error(message));
        }
        Err(error)
    }
}

/// Reads the directory named by `input` and every migration in it.
pub fn scan(input: &Input) -> syn::Result<Dir> {
    let path = input.resolve()?;
    let shown = &input.path;
    if !path.exists() {
        return Err(input.error(format!(
            "migrations directory `{shown}` does not exist (the path is relative to the directory of the crate's Cargo.toml)"
        )));
    }
    if !path.is_dir() {
        return Err(input.error(format!(
            "`{shown}` is not a directory: give the directory that holds the migration files"
        )));
    }

    let mut problems = Problems::default();
    let mut files = Vec::new();
    let walker = walkdir::WalkDir::new(&path)
        .min_depth(1)
        .max_depth(1)
        .follow_links(true)
        .sort_by_file_name();
    for entry in walker {
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => {
                problems.push(format!("cannot read `{shown}`: {error}"));
                continue;
            }
        };
        let Some(name) = entry.file_name().to_str() else {
            problems.push(format!(
                "`{}` in `{shown}`: the file name is not valid UTF-8; rename it",
                entry.file_name().to_string_lossy()
            ));
            continue;
        };
        if is_ignored(name) {
            continue;
        }
        if entry.file_type().is_dir() {
            problems.push(format!(
                "`{name}/` in `{shown}`: migrations are files directly in the directory, not folders (move it out, or name it `.{name}` to have it ignored)"
            ));
            continue;
        }
        let (file, messages) = read_file(name, entry.path());
        files.extend(file);
        messages.into_iter().for_each(|m| problems.push(m));
    }
    if files.is_empty() && problems.is_empty() {
        problems.push(format!(
            "migrations directory `{shown}` contains no migrations; add a file such as `0001_create_users.sql`"
        ));
    }
    Ok(Dir {
        path,
        files,
        problems,
    })
}

/// Reads one file. Returns the file when its name parses (even if its content has
/// problems, see [`Dir`]), and every problem found.
fn read_file(name: &str, path: &Path) -> (Option<File>, Vec<String>) {
    let parsed = match parse_name(name) {
        Ok(parsed) => parsed,
        Err(message) => return (None, vec![message]),
    };
    let mut problems = Vec::new();
    let content = match std::fs::read(path) {
        Ok(bytes) => decode(name, bytes).unwrap_or_else(|message| {
            problems.push(message);
            String::new()
        }),
        Err(error) => {
            problems.push(format!("cannot read `{name}`: {error}"));
            String::new()
        }
    };
    let body = content.strip_prefix('\u{feff}').unwrap_or(&content);
    let mut directives = Directives::default();
    let mut rust = None;
    if problems.is_empty() {
        if body.trim().is_empty() {
            problems.push(format!(
                "`{name}` is empty; write the migration, or delete the file"
            ));
        } else if parsed.role == Role::Rust {
            match rust_functions(name, body) {
                Ok(found) => rust = found,
                Err(message) => problems.push(message),
            }
        } else {
            match directive::parse(name, body) {
                Ok(found) => directives = found,
                Err(messages) => problems.extend(messages),
            }
        }
    }
    if path.to_str().is_none() {
        problems.push(format!(
            "the path of `{name}` is not valid UTF-8; move the project to a UTF-8 path"
        ));
    }
    let file = File {
        name: name.to_owned(),
        path: path.to_path_buf(),
        version: parsed.version,
        description: parsed.description.to_owned(),
        stem: parsed.stem.to_owned(),
        role: parsed.role,
        content,
        directives,
        rust,
    };
    (Some(file), problems)
}

const RUST_FORM: &str = "#[migrate::up] async fn up(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error>` (with your database's connection type)";

/// Finds the `#[migrate::up]` and `#[migrate::down]` functions of a Rust migration.
/// `Ok(None)` when the file does not parse: the compiler reports that, with its location,
/// when it compiles the file as a module.
fn rust_functions(name: &str, source: &str) -> Result<Option<RustFunctions>, String> {
    let Ok(file) = syn::parse_file(source) else {
        return Ok(None);
    };
    let marked = |word: &str| -> Vec<&syn::ItemFn> {
        file.items
            .iter()
            .filter_map(|item| match item {
                syn::Item::Fn(function) => Some(function),
                _ => None,
            })
            .filter(|function| {
                function
                    .attrs
                    .iter()
                    .any(|attr| is_marker(attr.path(), word))
            })
            .collect()
    };
    let (ups, downs) = (marked("up"), marked("down"));
    for (functions, word) in [(&ups, "up"), (&downs, "down")] {
        if let Some(message) = same_connection(name, functions, word) {
            return Err(message);
        }
    }
    if ups.is_empty() {
        let unmarked = file
            .items
            .iter()
            .any(|item| matches!(item, syn::Item::Fn(function) if function.sig.ident == "up"));
        return Err(if unmarked {
            format!("`{name}`: mark its `up` function with `#[migrate::up]`")
        } else {
            format!("`{name}` has no `#[migrate::up]` function; a migration written in Rust defines `{RUST_FORM}")
        });
    }
    let names = |functions: &[&syn::ItemFn]| -> Vec<String> {
        functions.iter().map(|f| f.sig.ident.to_string()).collect()
    };
    Ok(Some(RustFunctions {
        up: names(&ups),
        down: names(&downs),
    }))
}

/// A message when two functions of one direction take the same connection type (as far as
/// its last path segment tells): the migration would have two functions for one database.
fn same_connection(name: &str, functions: &[&syn::ItemFn], word: &str) -> Option<String> {
    let mut seen: Vec<(String, String)> = Vec::new();
    for function in functions {
        let Some(connection) = connection_type(function) else {
            continue;
        };
        let ident = function.sig.ident.to_string();
        if let Some((other, _)) = seen.iter().find(|(_, c)| *c == connection) {
            return Some(format!(
                "`{name}`: `{other}` and `{ident}` are both `#[migrate::{word}]` functions for `{connection}`; a migration has one {word} function per database"
            ));
        }
        seen.push((ident, connection));
    }
    None
}

/// The last path segment of a function's argument type `&mut path::To::Connection`.
fn connection_type(function: &syn::ItemFn) -> Option<String> {
    let Some(syn::FnArg::Typed(argument)) = function.sig.inputs.first() else {
        return None;
    };
    let syn::Type::Reference(reference) = &*argument.ty else {
        return None;
    };
    let syn::Type::Path(path) = &*reference.elem else {
        return None;
    };
    path.path.segments.last().map(|s| s.ident.to_string())
}

/// Whether an attribute path is `#[<crate>::<word>]` (or `#[<word>]`, after a `use`). Any
/// crate name: users name the facade's dependency as they like (`migrate`, or another name).
fn is_marker(path: &syn::Path, word: &str) -> bool {
    let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    match segments.as_slice() {
        [only] => only == word,
        [_krate, last] => last == word,
        _ => false,
    }
}

/// The content as UTF-8, or a message that says what encoding it seems to be in.
fn decode(name: &str, bytes: Vec<u8>) -> Result<String, String> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(format!(
            "`{name}` is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8"
        ));
    }
    String::from_utf8(bytes).map_err(|error| {
        format!(
            "`{name}` is not valid UTF-8 (invalid byte at offset {}); save it as UTF-8",
            error.utf8_error().valid_up_to()
        )
    })
}
