//! Which statements of a file run together in one step: consecutive data statements are
//! grouped into one transaction (one message, one commit), as many as keep a step short.

use std::time::Duration;

use crate::driver::{Sql, Steps};
use crate::statements::{kind, Statement, StatementKind};

/// How the statements of a file run: as the database does ([`Sql::steps`]), except that a
/// file that opens and commits transactions itself runs each statement alone, so that its
/// transactions stay as it wrote them.
pub(super) fn shape(statements: &[Statement<'_>], sql: &Sql) -> Steps {
    if statements
        .iter()
        .any(|s| kind(s.sql) == StatementKind::TransactionControl)
    {
        Steps::Alone
    } else {
        sql.steps
    }
}

/// A step that took less than this lets the next one hold twice as many statements.
const GROW_BELOW: Duration = Duration::from_millis(50);
/// A step that took more than this makes the next one hold half as many: a group holds its
/// rows' locks until it commits, so a group stays about this short whatever its statements.
const SHRINK_ABOVE: Duration = Duration::from_millis(200);
/// The most statements in one step. Each step costs a few milliseconds of its own on the
/// server (measured on PostgreSQL: 86,843 INSERTs took 1.1 s in steps of at most 1,024, and
/// 0.75 s in steps of at most 8,192), so steps of fast statements are large.
const MOST_STATEMENTS: usize = 8192;
/// The most bytes of SQL in one step (well below the smallest default packet limit, MySQL's
/// 4 MiB `max_allowed_packet` of 5.7).
const MOST_BYTES: usize = 1 << 20;

/// Sizes the groups of one file as it runs.
pub(super) struct Batches {
    /// How many statements the next group may hold.
    size: usize,
    /// Up to this index, statements run one at a time (after a group failed, to find the
    /// statement that failed).
    single_until: usize,
}

impl Batches {
    pub(super) fn new() -> Batches {
        Batches {
            size: 8,
            single_until: 0,
        }
    }

    /// The end (exclusive) of the group that starts at `from`: one statement, or consecutive
    /// data statements.
    pub(super) fn end(&self, statements: &[Statement<'_>], from: usize) -> usize {
        if from < self.single_until {
            return from + 1;
        }
        let mut end = from + 1;
        let mut bytes = statements.get(from).map_or(0, |s| s.sql.len());
        if statements.get(from).map(|s| kind(s.sql)) != Some(StatementKind::Data) {
            return end;
        }
        while let Some(next) = statements.get(end) {
            bytes += next.sql.len();
            if end - from >= self.size
                || bytes > MOST_BYTES
                || kind(next.sql) != StatementKind::Data
            {
                break;
            }
            end += 1;
        }
        end
    }

    /// A group of `statements` took `elapsed`.
    pub(super) fn took(&mut self, statements: usize, elapsed: Duration) {
        if elapsed < GROW_BELOW && statements >= self.size {
            self.size = (self.size * 2).min(MOST_STATEMENTS);
        } else if elapsed > SHRINK_ABOVE {
            self.size = (self.size / 2).max(1);
        }
    }

    /// The group that ended at `end` failed and was rolled back: run its statements again one
    /// at a time.
    pub(super) fn failed(&mut self, end: usize) {
        self.single_until = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statements::{split, Dialect};

    #[test]
    fn data_statements_are_grouped_and_others_run_alone() {
        let file = "CREATE TABLE t (id INT); INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); \
                    UPDATE t SET id = 3; ALTER TABLE t ADD x INT; DELETE FROM t;";
        let statements = split(file, Dialect::Postgres);
        let mut batches = Batches::new();
        assert_eq!(batches.end(&statements, 0), 1);
        assert_eq!(batches.end(&statements, 1), 4);
        assert_eq!(batches.end(&statements, 4), 5);
        assert_eq!(batches.end(&statements, 5), 6);
        batches.failed(4);
        assert_eq!(batches.end(&statements, 1), 2);
        assert_eq!(batches.end(&statements, 3), 4);
    }

    #[test]
    fn groups_grow_while_fast_and_shrink_when_slow() {
        let file = "INSERT INTO t VALUES (1);".repeat(100);
        let statements = split(&file, Dialect::MySql);
        let mut batches = Batches::new();
        assert_eq!(batches.end(&statements, 0), 8);
        batches.took(8, Duration::from_millis(1));
        assert_eq!(batches.end(&statements, 8), 24);
        batches.took(16, Duration::from_millis(500));
        assert_eq!(batches.end(&statements, 24), 32);
        assert_eq!(batches.end(&statements, 96), 100);
    }
}
