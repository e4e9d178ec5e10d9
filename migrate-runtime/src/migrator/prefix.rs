//! The checksum of the statements of a file applied so far, recorded with a migration's
//! progress, so that a resumed migration can tell whether they were edited since.

use crate::source::checksum::RunningChecksum;
use crate::statements::{self, Dialect, Statement};

/// The checksum of a growing prefix of a file's statements: those statements joined by
/// `\n;\n`, as [`crate::checksum`] computes it. Adding a statement costs time in proportion
/// to that statement, so a file of many statements is recorded in linear time.
#[derive(Clone, Default)]
pub(crate) struct PrefixChecksum {
    running: RunningChecksum,
    statements: usize,
}

impl PrefixChecksum {
    /// The checksum of `statements`.
    pub(crate) fn of(statements: &[Statement<'_>]) -> PrefixChecksum {
        let mut prefix = PrefixChecksum::default();
        for statement in statements {
            prefix.push(statement.sql);
        }
        prefix
    }

    /// Appends the next statement.
    pub(crate) fn push(&mut self, statement: &str) {
        if self.statements > 0 {
            self.running.update(b"\n;\n");
        }
        self.running.update(statement.as_bytes());
        self.statements += 1;
    }

    /// Whether the first `applied` statements of `sql` are those whose checksum a history
    /// row recorded as applied (`recorded`), so that a migration or a revert may resume
    /// after them. No statement applied is always unchanged.
    pub(crate) fn still_applied(
        sql: &str,
        dialect: Dialect,
        applied: usize,
        recorded: Option<&[u8]>,
    ) -> bool {
        applied == 0
            || statements::split(sql, dialect)
                .get(..applied)
                .is_some_and(|statements| Some(&Self::of(statements).value()[..]) == recorded)
    }

    /// The checksum of the statements so far.
    pub(crate) fn value(&self) -> [u8; 32] {
        self.running.value()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statements::{split, Dialect};

    /// The values recorded in users' history tables before the checksum ran: the whole
    /// prefix joined and hashed at once.
    #[test]
    fn equals_the_checksum_of_the_joined_prefix() {
        let file = "CREATE TABLE a (id INT);\r\nINSERT INTO a VALUES (1);\rSELECT 1;\nSELECT '\r';";
        let statements = split(file, Dialect::Postgres);
        assert_eq!(statements.len(), 4);
        let mut prefix = PrefixChecksum::default();
        for (n, statement) in statements.iter().enumerate() {
            prefix.push(statement.sql);
            let joined: Vec<&str> = statements[..=n].iter().map(|s| s.sql).collect();
            let expected = crate::checksum(joined.join("\n;\n").as_bytes());
            assert_eq!(prefix.value(), expected);
            assert_eq!(PrefixChecksum::of(&statements[..=n]).value(), expected);
        }
    }
}
