//! What a run did.

use std::time::Duration;

/// One migration applied by a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applied {
    /// The version.
    pub version: i64,
    /// The description.
    pub name: &'static str,
    /// How long it took, from the start of its transaction to its commit.
    pub duration: Duration,
}

/// The result of [`Migrator::run`](crate::Migrator::run): what was applied, in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub(crate) applied: Vec<Applied>,
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
            name: migration.name(),
            duration,
        });
    }

    /// The migrations this run applied, in order; empty when the database was up to date.
    pub fn applied(&self) -> &[Applied] {
        &self.applied
    }

    /// Whether the run found nothing to do.
    pub fn is_noop(&self) -> bool {
        self.applied.is_empty()
    }
}
