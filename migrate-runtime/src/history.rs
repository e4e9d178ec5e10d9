//! The history table: its name, and the rows read from it.

use std::fmt;

use crate::Error;

/// The default history table name.
pub const DEFAULT_TABLE: &str = "_migrate_history";

/// A validated history table name, optionally schema-qualified (`schema.table`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistoryTable {
    schema: Option<String>,
    name: String,
}

fn valid_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && s.len() <= 63
}

impl HistoryTable {
    /// Parses `table` or `schema.table`; each part must be a plain identifier
    /// (`[A-Za-z_][A-Za-z0-9_]*`, at most 63 bytes), so it is safe to quote into SQL.
    pub fn parse(name: &str) -> Result<Self, Error> {
        let invalid = || Error::InvalidTableName(name.to_owned());
        let (schema, table) = match name.split_once('.') {
            Some((schema, table)) => (Some(schema), table),
            None => (None, name),
        };
        if !valid_identifier(table) || schema.is_some_and(|s| !valid_identifier(s)) {
            return Err(invalid());
        }
        Ok(HistoryTable {
            schema: schema.map(str::to_owned),
            name: table.to_owned(),
        })
    }

    /// The schema, if qualified.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// The table name without its schema.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The name quoted with `quote` on each part (`"` for PostgreSQL and SQLite, `` ` `` for MySQL).
    /// The parts are validated identifiers, so quoting cannot be escaped.
    pub(crate) fn quoted(&self, quote: char) -> String {
        match &self.schema {
            Some(schema) => format!("{quote}{schema}{quote}.{quote}{}{quote}", self.name),
            None => format!("{quote}{}{quote}", self.name),
        }
    }

    /// The lock table of the lease lock mode: `<name>_lock` in the same schema (the name is
    /// shortened to keep within 63 bytes).
    pub fn lock_table(&self) -> HistoryTable {
        self.suffixed("_lock")
    }

    /// The audit trail of manual operations: `<name>_audit` in the same schema.
    pub fn audit_table(&self) -> HistoryTable {
        self.suffixed("_audit")
    }

    /// The seal that earlier versions kept beside the history (`<name>_seal` in the same
    /// schema), dropped where found (see [`crate::seal`]).
    pub(crate) fn seal_table(&self) -> HistoryTable {
        self.suffixed("_seal")
    }

    /// `<name><suffix>` in the same schema, the name shortened to keep within 63 bytes.
    pub(crate) fn suffixed(&self, suffix: &str) -> HistoryTable {
        let mut name = self.name.clone();
        name.truncate(63 - suffix.len());
        HistoryTable {
            schema: self.schema.clone(),
            name: format!("{name}{suffix}"),
        }
    }

    /// The 64-bit key of the PostgreSQL advisory lock that guards this table: the first 8
    /// bytes of SHA-256 over `migrate-lock:<schema.table>`, stable across processes and
    /// versions of this crate. Useful to find the lock's holder in `pg_locks`.
    pub fn lock_key(&self) -> i64 {
        let digest = crate::migration::checksum(format!("migrate-lock:{self}").as_bytes());
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[..8]);
        i64::from_be_bytes(bytes)
    }
}

impl Default for HistoryTable {
    fn default() -> Self {
        HistoryTable {
            schema: None,
            name: DEFAULT_TABLE.to_owned(),
        }
    }
}

impl fmt::Display for HistoryTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// One row of the history table.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppliedMigration {
    /// The version.
    pub version: i64,
    /// The description at the time it was applied.
    pub name: String,
    /// The checksum of the up file that was applied.
    pub checksum: Vec<u8>,
    /// `false` while a migration that runs statement by statement is unfinished: its runner
    /// is applying it, died, or hit an error.
    pub success: bool,
    /// For an unfinished migration: how many of its statements were applied.
    pub statements_applied: usize,
    /// For an unfinished migration: the checksum of the statements applied so far, so that a
    /// fixed file can be resumed only if they did not change.
    pub progress_checksum: Option<Vec<u8>>,
    /// The error of the statement that failed, if one was recorded.
    pub error: Option<String>,
    /// Set while a revert of this migration that runs statement by statement is unfinished
    /// (its runner is reverting it, died, or hit an error): the checksum of the down script
    /// it runs. `statements_applied`, `progress_checksum` and `error` then describe that
    /// down script. See [`AppliedMigration::direction`].
    pub revert_checksum: Option<Vec<u8>>,
}

/// Which way a migration recorded in the history was going: an unfinished row was being
/// applied or reverted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Applied (or being applied, when the row is unfinished) with its up file.
    Up,
    /// Being reverted with its down script, which stopped part-way.
    Down,
}

impl AppliedMigration {
    /// [`Direction::Down`] while a revert of it is unfinished, else [`Direction::Up`].
    pub fn direction(&self) -> Direction {
        match self.revert_checksum {
            Some(_) => Direction::Down,
            None => Direction::Up,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_and_qualified_names() {
        let table = HistoryTable::parse("app.history_v2").expect("valid");
        assert_eq!(table.quoted('"'), "\"app\".\"history_v2\"");
        assert_eq!(
            HistoryTable::parse("_t")
                .map(|t| t.quoted('`'))
                .ok()
                .as_deref(),
            Some("`_t`")
        );
    }

    #[test]
    fn rejects_names_that_could_inject_sql() {
        for hostile in [
            "t\"; DROP TABLE users; --",
            "a.b.c",
            "",
            "1table",
            "t t",
            "t`",
            ".t",
            "s.",
            &"x".repeat(64),
        ] {
            assert!(
                matches!(
                    HistoryTable::parse(hostile),
                    Err(Error::InvalidTableName(_))
                ),
                "{hostile:?} accepted"
            );
        }
    }

    #[test]
    fn lock_key_depends_on_the_qualified_name() {
        let a = HistoryTable::parse("a.t").expect("valid").lock_key();
        let b = HistoryTable::parse("b.t").expect("valid").lock_key();
        assert_ne!(a, b);
        assert_eq!(a, HistoryTable::parse("a.t").expect("valid").lock_key());
    }
}
