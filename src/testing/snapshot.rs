//! Schema snapshots read from the database's catalogs, and their differences.

use std::collections::BTreeSet;
use std::fmt;
use std::future::Future;

use crate::HistoryTable;

use super::TestError;

mod sealed {
    pub trait Sealed {}
}

/// A pool whose database's schema can be read into a [`Snapshot`]: `sqlx::PgPool`,
/// `sqlx::MySqlPool` and `sqlx::SqlitePool` with their features. Sealed.
pub trait Inspect: crate::Pool + sealed::Sealed {
    #[doc(hidden)]
    fn schema_lines<'a>(
        &'a self,
        exclude: &'a Exclude,
    ) -> impl Future<Output = Result<BTreeSet<String>, sqlx::Error>> + Send + 'a;
}

#[cfg(feature = "postgres")]
impl sealed::Sealed for sqlx::PgPool {}
#[cfg(feature = "mysql")]
impl sealed::Sealed for sqlx::MySqlPool {}
#[cfg(feature = "sqlite")]
impl sealed::Sealed for sqlx::SqlitePool {}

/// The migrator's own tables (history, audit trail, lease lock), left out of snapshots
/// with their triggers.
#[doc(hidden)]
#[derive(Clone, Debug)]
pub struct Exclude {
    pub(crate) schema: Option<String>,
    pub(crate) tables: [String; 3],
}

impl Exclude {
    pub(crate) fn new(history: &HistoryTable) -> Self {
        Exclude {
            schema: history.schema().map(str::to_owned),
            tables: [
                history.name().to_owned(),
                history.audit_table().name().to_owned(),
                history.lock_table().name().to_owned(),
            ],
        }
    }

    /// Whether `table` in `schema` (`None` where the database has no schemas to speak of)
    /// is one of the migrator's tables.
    pub(crate) fn skips(&self, schema: Option<&str>, table: &str) -> bool {
        let schema_matches = match (&self.schema, schema) {
            (Some(own), Some(schema)) => own == schema,
            _ => true,
        };
        schema_matches && self.tables.iter().any(|t| t == table)
    }
}

/// The schema of a database as a set of lines, one per object and property: tables,
/// columns (type, nullability, default), indexes, constraints, views, triggers, and on
/// PostgreSQL also sequences, functions, types and extensions. The migrator's own tables
/// are left out. Two snapshots compare equal when the schemas are the same, whatever the
/// order the objects were created in; column order is not compared.
///
/// Lines read like `column users.email: text NOT NULL`,
/// `index users_email_idx: CREATE UNIQUE INDEX users_email_idx ON public.users USING btree (email)`
/// or `constraint personas.personas_user_id_fkey: FOREIGN KEY (user_id) REFERENCES users(id)`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    lines: BTreeSet<String>,
}

impl Snapshot {
    /// Reads the schema of `pool`'s database, leaving out the tables of the migrator whose
    /// history table is `history`.
    ///
    /// # Errors
    /// [`TestError::Database`] when a catalog query fails.
    pub async fn take<P: Inspect>(pool: &P, history: &HistoryTable) -> Result<Self, TestError> {
        let exclude = Exclude::new(history);
        let lines = pool
            .schema_lines(&exclude)
            .await
            .map_err(TestError::db("reading the schema from the catalogs"))?;
        Ok(Snapshot { lines })
    }

    /// The lines, sorted.
    pub fn lines(&self) -> impl Iterator<Item = &str> + '_ {
        self.lines.iter().map(String::as_str)
    }

    /// Whether a line equal to `line` is in the snapshot.
    pub fn contains(&self, line: &str) -> bool {
        self.lines.contains(line)
    }

    /// What `actual` has that this snapshot (the expected schema) has not, and the reverse.
    pub fn diff(&self, actual: &Snapshot) -> SchemaDiff {
        SchemaDiff {
            missing: self.lines.difference(&actual.lines).cloned().collect(),
            unexpected: actual.lines.difference(&self.lines).cloned().collect(),
        }
    }
}

impl fmt::Display for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.lines {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}

/// The difference between an expected and an actual [`Snapshot`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SchemaDiff {
    /// Lines of the expected schema that the actual one lacks (shown as `- line`).
    pub missing: Vec<String>,
    /// Lines of the actual schema that the expected one lacks (shown as `+ line`).
    pub unexpected: Vec<String>,
}

impl SchemaDiff {
    /// Whether the schemas are the same.
    pub fn is_empty(&self) -> bool {
        self.missing.is_empty() && self.unexpected.is_empty()
    }

    /// `- line` for each missing line and `+ line` for each unexpected one, sorted by the
    /// line so that the old and new state of one object are next to each other.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<(&str, char)> = self
            .missing
            .iter()
            .map(|l| (l.as_str(), '-'))
            .chain(self.unexpected.iter().map(|l| (l.as_str(), '+')))
            .collect();
        lines.sort();
        lines
            .into_iter()
            .map(|(line, sign)| format!("{sign} {line}"))
            .collect()
    }
}

impl fmt::Display for SchemaDiff {
    /// One `  - line` or `  + line` per line (indented, for error messages).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, line) in self.lines().iter().enumerate() {
            if index > 0 {
                f.write_str("\n")?;
            }
            write!(f, "  {line}")?;
        }
        Ok(())
    }
}

/// `sql` with every run of whitespace turned into one space, trimmed: definitions compare
/// equal whatever their layout.
pub(crate) fn collapse(sql: &str) -> String {
    sql.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The first 12 hex characters of the SHA-256 of `text`: a short stand-in for a body.
pub(crate) fn short_digest(text: &str) -> String {
    super::config::short_hex(&crate::checksum(text.as_bytes()), 6)
}

#[cfg(test)]
mod tests {
    use super::{collapse, Exclude, SchemaDiff, Snapshot};
    use crate::HistoryTable;

    fn snapshot(lines: &[&str]) -> Snapshot {
        Snapshot {
            lines: lines.iter().map(|l| (*l).to_owned()).collect(),
        }
    }

    #[test]
    fn diff_pairs_old_and_new_lines() {
        let before = snapshot(&[
            "table t",
            "column t.a: integer NOT NULL",
            "column t.b: text",
        ]);
        let after = snapshot(&["table t", "column t.a: bigint NOT NULL", "index t_b: (b)"]);
        let diff = before.diff(&after);
        assert_eq!(
            diff.lines(),
            [
                "+ column t.a: bigint NOT NULL",
                "- column t.a: integer NOT NULL",
                "- column t.b: text",
                "+ index t_b: (b)",
            ]
        );
        assert!(!diff.is_empty());
        assert!(before.diff(&before.clone()).is_empty());
        assert_eq!(
            SchemaDiff::default().to_string(),
            "",
            "an empty diff prints nothing"
        );
    }

    #[test]
    fn excludes_only_the_migrators_tables() {
        let plain = Exclude::new(&HistoryTable::default());
        assert!(plain.skips(Some("public"), "_migrate_history"));
        assert!(plain.skips(None, "_migrate_history_audit"));
        assert!(plain.skips(None, "_migrate_history_lock"));
        assert!(!plain.skips(None, "users"));
        let qualified = Exclude::new(&HistoryTable::parse("ops.history").expect("valid"));
        assert!(qualified.skips(Some("ops"), "history"));
        assert!(!qualified.skips(Some("public"), "history"));
    }

    #[test]
    fn collapses_whitespace() {
        assert_eq!(
            collapse("  CREATE  VIEW v\n\tAS SELECT 1 "),
            "CREATE VIEW v AS SELECT 1"
        );
    }
}
