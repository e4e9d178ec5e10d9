//! The reversibility check: up, down, up for each reversible migration, comparing schema
//! snapshots.

use crate::{Migration, Migrations, Migrator, State};

use super::snapshot::{Inspect, SchemaDiff, Snapshot};
use super::TestError;

/// Checks that every reversible migration's down script undoes its up script.
///
/// On an empty database, for each migration in version order: take a [`Snapshot`], apply
/// the migration, take another. If it is reversible, revert it and compare with the snapshot
/// from before it; apply it again and compare with the snapshot from after it. The first
/// migration that fails any of these is reported as a [`ReversibilityError`] naming its
/// version, file and what differs; a migration without a down file is applied and skipped.
///
/// ```no_run
/// # extern crate checked_migrations as migrate; // users name the dependency `migrate`
/// # #[cfg(feature = "postgres")]
/// # async fn example(migrations: &'static migrate::Migrations) -> Result<(), Box<dyn std::error::Error>> {
/// use migrate::testing::{ReversibilityCheck, TestDatabaseBuilder};
///
/// let db = TestDatabaseBuilder::new(migrations).migrated(false).postgres().await?;
/// let report = ReversibilityCheck::new(migrations).run(db.pool()).await?;
/// assert!(!report.checked.is_empty());
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
pub struct ReversibilityCheck {
    migrator: Migrator,
    after: Option<&'static Migration>,
}

/// What a passing [`ReversibilityCheck`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReversibilityReport {
    /// Versions applied without checking, up to [`ReversibilityCheck::after`].
    pub applied_first: Vec<i64>,
    /// Versions whose down script restored the schema, and that applied again identically.
    pub checked: Vec<i64>,
    /// Versions without a down file, applied and not checked.
    pub irreversible: Vec<i64>,
}

/// Why a [`ReversibilityCheck`] failed: the first migration that does not round-trip, or
/// what kept the check from running.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReversibilityError {
    /// The down script failed.
    #[error("the down script of migration {version} (`{file}`) failed: {error}")]
    DownFailed {
        /// The version.
        version: i64,
        /// The down file.
        file: String,
        /// The migrator's error, with the database's message (in the message).
        error: crate::Error,
    },

    /// The down script ran, but the schema differs from the one before the migration.
    #[error(
        "the down script of migration {version} (`{file}`) did not restore the schema; \
         compared with before the migration (- missing, + left over):\n{diff}"
    )]
    NotRestored {
        /// The version.
        version: i64,
        /// The down file.
        file: String,
        /// Expected: the schema before the up; actual: after the down.
        diff: SchemaDiff,
    },

    /// Applying the migration again after its down script failed.
    #[error(
        "migration {version} (`{file}`) failed when applied again after its down script: {error}"
    )]
    ReapplyFailed {
        /// The version.
        version: i64,
        /// The up file.
        file: String,
        /// The migrator's error (in the message).
        error: crate::Error,
    },

    /// Applying the migration again gave another schema than applying it the first time.
    #[error(
        "migration {version} (`{file}`) applied again after its down script gives another schema \
         than the first time (- missing, + new):\n{diff}"
    )]
    ReapplyDiffers {
        /// The version.
        version: i64,
        /// The up file.
        file: String,
        /// Expected: after the first up; actual: after the second.
        diff: SchemaDiff,
    },

    /// A migration failed the first time it was applied, so the check cannot go on.
    #[error("migration {version} (`{file}`) does not apply, so the check stopped: {error}")]
    UpFailed {
        /// The version.
        version: i64,
        /// The up file.
        file: String,
        /// The migrator's error (in the message).
        error: crate::Error,
    },

    /// The database already had a migration applied that the check would apply: it needs an
    /// empty database (or one migrated at most up to [`ReversibilityCheck::after`]).
    #[error("migration {version} is already applied: run the check on an empty database")]
    NotEmpty {
        /// The applied version.
        version: i64,
    },

    /// Applying the migrations before the checked range, or reading the history, failed.
    #[error("preparing the reversibility check failed: {0}")]
    Setup(crate::Error),

    /// A schema snapshot could not be taken.
    #[error(transparent)]
    Snapshot(#[from] TestError),
}

impl ReversibilityError {
    /// The version of the migration at fault, if one is.
    pub fn version(&self) -> Option<i64> {
        match self {
            ReversibilityError::DownFailed { version, .. }
            | ReversibilityError::NotRestored { version, .. }
            | ReversibilityError::ReapplyFailed { version, .. }
            | ReversibilityError::ReapplyDiffers { version, .. }
            | ReversibilityError::UpFailed { version, .. }
            | ReversibilityError::NotEmpty { version } => Some(*version),
            ReversibilityError::Setup(_) | ReversibilityError::Snapshot(_) => None,
        }
    }

    /// The schema difference, for [`NotRestored`](ReversibilityError::NotRestored) and
    /// [`ReapplyDiffers`](ReversibilityError::ReapplyDiffers).
    pub fn diff(&self) -> Option<&SchemaDiff> {
        match self {
            ReversibilityError::NotRestored { diff, .. }
            | ReversibilityError::ReapplyDiffers { diff, .. } => Some(diff),
            _ => None,
        }
    }
}

impl ReversibilityCheck {
    /// A check of `migrations` with the default migrator.
    pub fn new(migrations: &'static Migrations) -> Self {
        Self::with_migrator(Migrator::new(migrations))
    }

    /// A check with `migrator` (its history table, lock settings).
    pub fn with_migrator(migrator: Migrator) -> Self {
        ReversibilityCheck {
            migrator,
            after: None,
        }
    }

    /// Applies the migrations up to and including `target` without checking them, and checks
    /// only those after it: for long legacy chains whose old downs are known to be lossy.
    pub fn after(mut self, target: &'static Migration) -> Self {
        self.after = Some(target);
        self
    }

    /// Runs the check on `pool`'s database, which must be empty (or migrated no further
    /// than [`after`](ReversibilityCheck::after)). The database is left fully migrated when
    /// the check passes, and where the failure left it otherwise.
    ///
    /// # Errors
    /// The first migration that does not round-trip; see [`ReversibilityError`].
    pub async fn run<P: Inspect>(
        &self,
        pool: &P,
    ) -> Result<ReversibilityReport, ReversibilityError> {
        let migrator = &self.migrator;
        let table = migrator.table().clone();
        let start = self.after.map(Migration::version);
        let status = migrator
            .status(pool)
            .await
            .map_err(ReversibilityError::Setup)?;
        if let Some(applied) = status.iter().find(|line| {
            !matches!(line.state, State::Pending) && start.is_none_or(|s| line.version > s)
        }) {
            return Err(ReversibilityError::NotEmpty {
                version: applied.version,
            });
        }
        let mut report = ReversibilityReport::default();
        if let Some(target) = self.after {
            let applied = migrator
                .run_to(pool, target)
                .await
                .map_err(ReversibilityError::Setup)?;
            report.applied_first = applied.applied().iter().map(|a| a.version).collect();
        }
        let mut before = Snapshot::take(pool, &table).await?;
        let checked = migrator
            .migrations()
            .iter()
            .filter(|m| start.is_none_or(|s| m.version() > s));
        for migration in checked {
            let version = migration.version();
            let up_file = || migration.up().file().to_owned();
            migrator.run_to(pool, migration).await.map_err(|error| {
                ReversibilityError::UpFailed {
                    version,
                    file: up_file(),
                    error,
                }
            })?;
            let after = Snapshot::take(pool, &table).await?;
            let Some(down) = migration.down() else {
                report.irreversible.push(version);
                before = after;
                continue;
            };
            let down_file = || down.file().to_owned();
            migrator.revert_steps(pool, 1).await.map_err(|error| {
                ReversibilityError::DownFailed {
                    version,
                    file: down_file(),
                    error,
                }
            })?;
            let reverted = Snapshot::take(pool, &table).await?;
            let diff = before.diff(&reverted);
            if !diff.is_empty() {
                return Err(ReversibilityError::NotRestored {
                    version,
                    file: down_file(),
                    diff,
                });
            }
            migrator.run_to(pool, migration).await.map_err(|error| {
                ReversibilityError::ReapplyFailed {
                    version,
                    file: up_file(),
                    error,
                }
            })?;
            let again = Snapshot::take(pool, &table).await?;
            let diff = after.diff(&again);
            if !diff.is_empty() {
                return Err(ReversibilityError::ReapplyDiffers {
                    version,
                    file: up_file(),
                    diff,
                });
            }
            report.checked.push(version);
            before = after;
        }
        Ok(report)
    }
}
