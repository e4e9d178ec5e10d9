//! What a run did.

use std::time::Duration;

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

/// What [`Migrator::repair`](crate::Migrator::repair) changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Repair {
    /// The recorded checksum of an edited migration was replaced by the file's.
    AcceptedChecksum {
        /// The version.
        version: i64,
    },
    /// The row of an unfinished migration was deleted.
    RemovedUnfinished {
        /// The version.
        version: i64,
    },
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
