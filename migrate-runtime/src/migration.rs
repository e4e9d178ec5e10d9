//! Migrations as the macro embeds them.

use sha2::{Digest, Sha256};

use crate::code::{Backend, Code};

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
}

impl Migrations {
    #[doc(hidden)]
    pub const fn new(
        source: &'static str,
        dir: &'static str,
        list: &'static [&'static Migration],
    ) -> Self {
        Migrations { source, dir, list }
    }

    /// The absolute path of that directory on the machine that compiled the binary: where
    /// the CLI's `new` creates files during development.
    pub fn dir(&self) -> &'static str {
        self.dir
    }

    /// The directory they were embedded from, as written in the macro call.
    pub fn source(&self) -> &'static str {
        self.source
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

/// The checksum `embed_migrations!` computes for a migration file: SHA-256 of its content
/// with a leading byte order mark removed and every CRLF turned into LF, so that a checkout
/// with Windows line endings does not look like an edited migration.
///
/// ```
/// let unix = migrate_runtime::checksum(b"CREATE TABLE t (id INT);\n");
/// let windows = migrate_runtime::checksum(b"\xEF\xBB\xBFCREATE TABLE t (id INT);\r\n");
/// assert_eq!(unix, windows);
/// ```
pub fn checksum(content: &[u8]) -> [u8; 32] {
    let body = content.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(content);
    let mut hasher = Sha256::new();
    let mut rest = body;
    while let Some(at) = rest.windows(2).position(|w| w == b"\r\n") {
        hasher.update(&rest[..at]);
        hasher.update(b"\n");
        rest = &rest[at + 2..];
    }
    hasher.update(rest);
    hasher.finalize().into()
}

/// Lower-case hex of a checksum, for messages.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Digests stored in users' history tables: they must never change. Computed with the
    /// code of c8ef3c2, before the checksum moved.
    #[test]
    fn checksums_are_stable() {
        let cases: &[(&[u8], &str)] = &[
            (
                b"",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            (
                b"\xEF\xBB\xBF",
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            ),
            (
                b"\xEF\xBB\xBFSELECT 1;\n",
                "b4e0497804e46e0a0b0b8c31975b062152d551bac49c3c2e80932567b4085dcd",
            ),
            (
                b"SELECT 1;\r\nSELECT 2;\r\n",
                "82efb67f3010c6eb7ead02e4f6d9550633dbc1407f99aa487468e7b2567aebbc",
            ),
            (
                b"SELECT 1;\rSELECT 2;\r",
                "7ba5c87864caebc33530986fe79e40361498588aff2e58e012065f7dcc32b754",
            ),
            (
                b"\r\r\n\n",
                "2a5222a0dd2400f31aae17bc0ad61e08446faa9e86bc9862ba8b0740cfa05283",
            ),
            (
                b"CREATE TABLE t (id INT);\n",
                "1f3fb0035a049af0ffa5671f5739ba073a99aaa6d8cc6a789599c9fd9292821d",
            ),
        ];
        for (content, expected) in cases {
            assert_eq!(hex(&checksum(content)), *expected, "{content:?}");
        }
    }
}
