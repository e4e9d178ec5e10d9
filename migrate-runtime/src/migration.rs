//! Migrations as the macro embeds them.

use crate::code::{Backend, Code};
use crate::statements::Dialect;
// One implementation for the macro and the runtime: see `crate::source`.
pub use crate::source::checksum::checksum;
pub(crate) use crate::source::checksum::hex;

/// One file of a migration: the up (or simple) file or the down file, or, for a migration
/// written in Rust, one of the functions of its `.rs` file.
#[derive(Debug)]
pub struct Script {
    file: &'static str,
    sql: &'static str,
    no_transaction: bool,
    code: &'static [&'static Code],
}

impl Script {
    #[doc(hidden)]
    pub const fn new(file: &'static str, sql: &'static str, no_transaction: bool) -> Self {
        Script {
            file,
            sql,
            no_transaction,
            code: &[],
        }
    }

    #[doc(hidden)]
    pub const fn rust(
        file: &'static str,
        source: &'static str,
        code: &'static [&'static Code],
    ) -> Self {
        Script {
            file,
            sql: source,
            no_transaction: false,
            code,
        }
    }

    /// The file name, e.g. `0003_add_threads.up.sql` or `0004_backfill_owner.rs`.
    pub fn file(&self) -> &'static str {
        self.file
    }

    /// The SQL, without a leading byte order mark. For a migration written in Rust, the
    /// source of its `.rs` file (shown by `plan`; [`Script::functions`] are what runs).
    pub fn sql(&self) -> &'static str {
        self.sql.strip_prefix('\u{feff}').unwrap_or(self.sql)
    }

    /// Whether the file asked to run outside a transaction (`-- migrate:no-transaction`).
    /// Rust migrations always run in a transaction.
    pub fn no_transaction(&self) -> bool {
        self.no_transaction
    }

    /// Whether this is a function of a migration written in Rust rather than SQL.
    pub fn is_rust(&self) -> bool {
        !self.code.is_empty()
    }

    /// The functions of a migration written in Rust, one per database it supports (empty for
    /// SQL).
    pub fn functions(&self) -> &'static [&'static Code] {
        self.code
    }

    /// The function of a migration written in Rust for `backend`, if it has one.
    pub fn function_for(&self, backend: Backend) -> Option<&'static Code> {
        self.code
            .iter()
            .copied()
            .find(|code| code.backend() == backend)
    }
}

/// One migration embedded by `embed_migrations!`; each is also a named item
/// (`migrations::V3_ADD_THREADS`) that serves as a typed target.
#[derive(Debug)]
pub struct Migration {
    version: i64,
    name: &'static str,
    up: Script,
    down: Option<Script>,
    checksum: [u8; 32],
}

impl Migration {
    #[doc(hidden)]
    pub const fn new(
        version: i64,
        name: &'static str,
        up: Script,
        down: Option<Script>,
        checksum: [u8; 32],
    ) -> Self {
        Migration {
            version,
            name,
            up,
            down,
            checksum,
        }
    }

    /// The version, e.g. `3` for `0003_add_threads.sql`.
    pub fn version(&self) -> i64 {
        self.version
    }

    /// The description, e.g. `add_threads`.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The up file (for a simple migration, its only file; for a Rust migration, its `up`
    /// function).
    pub fn up(&self) -> &Script {
        &self.up
    }

    /// The down file of a reversible migration (for a Rust migration, its `down` function).
    pub fn down(&self) -> Option<&Script> {
        self.down.as_ref()
    }

    /// Whether the migration has a down file.
    pub fn is_reversible(&self) -> bool {
        self.down.is_some()
    }

    /// SHA-256 of the up file (of the whole `.rs` file for a Rust migration), computed at
    /// compile time (see [`checksum`]).
    pub fn checksum(&self) -> &[u8; 32] {
        &self.checksum
    }
}

/// The ordered list of migrations that `embed_migrations!` generates as `migrations::MIGRATIONS`.
#[derive(Debug)]
pub struct Migrations {
    source: &'static str,
    dir: &'static str,
    list: &'static [&'static Migration],
    dialects: &'static [Dialect],
    allowed_lints: &'static [&'static str],
    lints_from: Option<i64>,
}

impl Migrations {
    /// `dir` is empty when it is not embedded (see [`Migrations::dir`]).
    #[doc(hidden)]
    pub const fn new(
        source: &'static str,
        dir: &'static str,
        list: &'static [&'static Migration],
    ) -> Self {
        Migrations {
            source,
            dir,
            list,
            dialects: &[],
            allowed_lints: &[],
            lints_from: None,
        }
    }

    /// Records the dialects the build read the SQL in (empty when it did not read it).
    #[doc(hidden)]
    pub const fn with_dialects(self, dialects: &'static [Dialect]) -> Self {
        Migrations { dialects, ..self }
    }

    /// Records the macro call's `lints_from = V`.
    #[doc(hidden)]
    pub const fn with_lints_from(self, version: i64) -> Self {
        Migrations {
            lints_from: Some(version),
            ..self
        }
    }

    /// Records the macro call's `allow = […]`: names of rules or errors the macro has checked.
    #[doc(hidden)]
    pub const fn with_allowed_lints(self, allowed_lints: &'static [&'static str]) -> Self {
        Migrations {
            allowed_lints,
            ..self
        }
    }

    /// The absolute path of the directory on the machine that compiled the binary, in a
    /// build with debug assertions (a `cargo build` or `cargo run` during development), where
    /// the CLI's `new` creates files. `None` in a release build: a binary that is shipped
    /// does not carry a path of the build machine. Use [`Migrations::source`], relative to
    /// the crate's directory, to find the directory without it.
    pub fn dir(&self) -> Option<&'static str> {
        Some(self.dir).filter(|dir| !dir.is_empty())
    }

    /// The directory they were embedded from, as written in the macro call.
    pub fn source(&self) -> &'static str {
        self.source
    }

    /// The dialects the build read the SQL in: those of the macro call's `dialect = …`
    /// argument, else the one database feature enabled; empty when the build did not read
    /// the SQL (several database features and no argument, or none).
    pub fn dialects(&self) -> &'static [Dialect] {
        self.dialects
    }

    /// The lint rules the macro call's `allow = […]` turns off for the whole directory, by
    /// name (`"drop-column"`, or an error such as `"missing"`); the macro has checked each name. The CLI's `lint`
    /// command and `migrate::lint` honour them, so they report what the build reports.
    pub fn allowed_lints(&self) -> &'static [&'static str] {
        self.allowed_lints
    }

    /// The macro call's `lints_from = V`: lints are reported only for version `V` and later.
    pub fn lints_from(&self) -> Option<i64> {
        self.lints_from
    }

    /// The migrations in version order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'static Migration> + '_ {
        self.list.iter().copied()
    }

    /// The number of migrations.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The migrations in version order, as a slice.
    pub(crate) fn as_slice(&self) -> &'static [&'static Migration] {
        self.list
    }

    /// The migration with this version, if embedded.
    pub fn get(&self, version: i64) -> Option<&'static Migration> {
        self.list
            .binary_search_by_key(&version, |m| m.version)
            .ok()
            .map(|index| self.list[index])
    }
}
