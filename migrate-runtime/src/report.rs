//! What a run did.

use std::fmt;
use std::time::Duration;

use crate::history::Direction;

/// One migration applied (or reverted) by an operation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Applied {
    /// The version.
    pub version: i64,
    /// The description.
    pub name: String,
    /// How long it took, from the start of its transaction to its commit.
    pub duration: Duration,
}

/// What [`Migrator::repair`](crate::Migrator::repair) changed. Its `Display` says it in a
/// sentence, with what it left behind.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Repair {
    /// The recorded checksum of an edited migration was replaced by the file's.
    AcceptedChecksum {
        /// The version.
        version: i64,
    },
    /// The row of an unfinished migration (or of an unfinished revert) was deleted. The
    /// statements it had applied were not undone: they stay applied.
    RemovedUnfinished {
        /// The version.
        version: i64,
        /// Whether it was being applied ([`Direction::Up`]) or reverted
        /// ([`Direction::Down`]).
        direction: Direction,
        /// The file whose statements stay applied: the up file, or for a revert the down
        /// file (or where its down script came from).
        file: String,
        /// How many of its statements stay applied.
        statements_applied: usize,
    },
}

impl fmt::Display for Repair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Repair::AcceptedChecksum { version } => {
                write!(f, "accepted the edited checksum of {version}")
            }
            Repair::RemovedUnfinished {
                version,
                direction: Direction::Up,
                file,
                statements_applied: 0,
            } => write!(
                f,
                "removed the unfinished row of {version}: no statement of `{file}` had been applied"
            ),
            Repair::RemovedUnfinished {
                version,
                direction: Direction::Up,
                file,
                statements_applied,
            } => write!(
                f,
                "removed the unfinished row of {version}: statements 1 to {statements_applied} of `{file}` stay applied \
                 (repair undoes nothing); undo them by hand before `up` runs `{file}` again from its first statement"
            ),
            Repair::RemovedUnfinished {
                version,
                direction: Direction::Down,
                file,
                statements_applied: 0,
            } => write!(
                f,
                "removed the row of {version}, whose revert was unfinished: no statement of `{file}` had been applied, \
                 so all of {version} stays in the database although it now counts as not applied; \
                 revert it by hand, or record it as applied again with mark-applied"
            ),
            Repair::RemovedUnfinished {
                version,
                direction: Direction::Down,
                file,
                statements_applied,
            } => write!(
                f,
                "removed the row of {version}, whose revert was unfinished: statements 1 to {statements_applied} of `{file}` \
                 stay applied and the rest of it did not run, so {version} is half reverted although it now counts as \
                 not applied; run the rest of `{file}` by hand"
            ),
        }
    }
}

/// What an operation did: for [`Migrator::run`](crate::Migrator::run), the migrations it
/// applied, in order; for the others, what they reverted, marked or repaired.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub(crate) applied: Vec<Applied>,
    pub(crate) reverted: Vec<Applied>,
    pub(crate) marked_applied: Vec<i64>,
    pub(crate) marked_reverted: Vec<i64>,
    pub(crate) repaired: Vec<Repair>,
}

impl Report {
    pub(crate) fn push(&mut self, migration: &crate::Migration, duration: Duration) {
        tracing::info!(
            version = migration.version(),
            name = migration.name(),
            duration_ms = duration.as_millis() as u64,
            "applied migration"
        );
        self.applied.push(Applied {
            version: migration.version(),
            name: migration.name().to_owned(),
            duration,
        });
    }

    /// The migrations this run applied, in order; empty when the database was up to date.
    pub fn applied(&self) -> &[Applied] {
        &self.applied
    }

    /// The migrations reverted, newest first, with how long each down script took.
    pub fn reverted(&self) -> &[Applied] {
        &self.reverted
    }

    /// The versions recorded as applied without running them.
    pub fn marked_applied(&self) -> &[i64] {
        &self.marked_applied
    }

    /// The versions whose records were deleted without running their down scripts.
    pub fn marked_reverted(&self) -> &[i64] {
        &self.marked_reverted
    }

    /// What a repair changed.
    pub fn repaired(&self) -> &[Repair] {
        &self.repaired
    }

    /// Whether the operation found nothing to do.
    pub fn is_noop(&self) -> bool {
        self.applied.is_empty()
            && self.reverted.is_empty()
            && self.marked_applied.is_empty()
            && self.marked_reverted.is_empty()
            && self.repaired.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_removed_row_says_which_statements_stay_applied() {
        let removed = |direction, statements_applied| {
            Repair::RemovedUnfinished {
                version: 4,
                direction,
                file: "0004_x.sql".to_owned(),
                statements_applied,
            }
            .to_string()
        };
        let up = removed(Direction::Up, 3);
        assert!(
            up.contains("statements 1 to 3 of `0004_x.sql` stay applied") && up.contains("by hand"),
            "{up}"
        );
        assert!(removed(Direction::Up, 0).contains("no statement of `0004_x.sql`"));
        let down = removed(Direction::Down, 2);
        assert!(
            down.contains("whose revert was unfinished")
                && down.contains("statements 1 to 2 of `0004_x.sql` stay applied")
                && down.contains("half reverted"),
            "{down}"
        );
        assert!(removed(Direction::Down, 0).contains("mark-applied"));
    }
}
