//! What a run has to do, decided without a database: a migration to resume, the pending
//! migrations, and drift between the binary and the history table.

use std::collections::HashSet;

use crate::history::{AppliedMigration, Direction};
use crate::migration::{hex, Migration, Migrations};
use crate::Error;

/// Opt-outs from the drift checks, set on the [`Migrator`](crate::Migrator).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Policy {
    /// Apply pending migrations numbered below the highest applied one, instead of refusing.
    pub allow_out_of_order: bool,
    /// Tolerate applied migrations that are not in the binary.
    pub ignore_missing: bool,
    /// Resume the unfinished migration (or revert) of this version at its failed statement
    /// although its file is unchanged: the operator fixed the environment
    /// ([`Migrator::retry`](crate::Migrator::retry)).
    pub retry: Option<i64>,
}

/// A migration that stopped part-way (it runs one statement at a time, outside a single
/// transaction) and may continue where it stopped.
#[derive(Debug)]
pub(crate) struct Resume {
    pub migration: &'static Migration,
    /// Its row as recorded: statements applied, their checksum, the error if one was recorded.
    pub row: AppliedMigration,
}

/// The work of one run.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub resume: Option<Resume>,
    pub pending: Vec<&'static Migration>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        self.resume.is_none() && self.pending.is_empty()
    }

    /// Only what is at or below version `to` (everything when `None`).
    pub fn up_to(mut self, to: Option<i64>) -> Plan {
        if let Some(to) = to {
            self.pending.retain(|m| m.version() <= to);
            self.resume = self.resume.filter(|r| r.migration.version() <= to);
        }
        self
    }
}

/// Decides what to do, or reports the first drift that forbids doing anything.
///
/// An unfinished revert forbids everything ([`Error::RevertUnfinished`]): `down` finishes it.
/// A row that did not succeed is resumed when its runner died (no error recorded), when its
/// file changed since the failure (the failing statement was fixed), or when `policy`
/// retries it; a recorded failure of an unchanged file is [`Error::Dirty`]. Then, lowest version first: an applied migration
/// whose file changed ([`Error::ChecksumMismatch`]), one missing from the binary
/// ([`Error::MissingFromBinary`]), and a pending migration below the highest applied one
/// ([`Error::OutOfOrder`]); the last two can be allowed by `policy`.
pub(crate) fn plan(
    migrations: &Migrations,
    applied: &[AppliedMigration],
    policy: Policy,
) -> Result<Plan, Error> {
    let mut applied: Vec<&AppliedMigration> = applied.iter().collect();
    applied.sort_by_key(|row| row.version);

    let mut resume = None;
    if let Some(row) = applied
        .iter()
        .find(|row| row.direction() == Direction::Down)
    {
        let file = down_file(migrations, row.version);
        return Err(unfinished_revert(row, &file));
    }
    for row in applied.iter().filter(|row| !row.success) {
        let Some(migration) = migrations.get(row.version) else {
            return Err(Error::Dirty {
                version: row.version,
                file: row.name.clone(),
                statements_applied: row.statements_applied,
                message: format!(
                    "it stopped part-way, after {} statement(s), and its file is not in this binary; \
                     deploy the binary that contains it to resume, or undo what it applied by hand and delete its row from the history table",
                    row.statements_applied
                ),
            });
        };
        let unchanged = migration.checksum()[..] == row.checksum[..];
        let retried = policy.retry == Some(row.version);
        if let (Some(error), true, false) = (&row.error, unchanged, retried) {
            return Err(Error::Dirty {
                version: row.version,
                file: migration.up().file().to_owned(),
                statements_applied: row.statements_applied,
                message: format!(
                    "statement {} failed after {} statement(s) had been applied: {error}; \
                     fix that statement in the file and run again to resume at it (the applied statements must stay as they are); \
                     if the file is right and the failure came from the environment (a server setting, a missing row, a privilege), \
                     fix that and run `retry {}` to resume at the unchanged statement; \
                     or undo the applied statements by hand and run `repair`",
                    row.statements_applied + 1,
                    row.statements_applied,
                    row.version
                ),
            });
        }
        if resume.is_some() {
            // Runs stop at the first failure, so a second dirty row means manual edits.
            return Err(Error::Dirty {
                version: row.version,
                file: migration.up().file().to_owned(),
                statements_applied: row.statements_applied,
                message: "more than one migration is marked as unfinished; check the history table by hand".to_owned(),
            });
        }
        resume = Some(Resume {
            migration,
            row: (*row).clone(),
        });
    }

    for row in applied.iter().filter(|row| row.success) {
        match migrations.get(row.version) {
            Some(migration) if migration.checksum()[..] != row.checksum[..] => {
                return Err(Error::ChecksumMismatch {
                    version: row.version,
                    file: migration.up().file().to_owned(),
                    applied: hex(&row.checksum),
                    embedded: hex(migration.checksum()),
                })
            }
            Some(_) => {}
            None if policy.ignore_missing => {}
            None => {
                return Err(Error::MissingFromBinary {
                    version: row.version,
                    name: row.name.clone(),
                })
            }
        }
    }

    let recorded: HashSet<i64> = applied.iter().map(|row| row.version).collect();
    let pending: Vec<&'static Migration> = migrations
        .iter()
        .filter(|m| !recorded.contains(&m.version()))
        .collect();
    let highest_applied = applied.last().map(|row| row.version);
    if let (Some(first), Some(highest_applied), false) =
        (pending.first(), highest_applied, policy.allow_out_of_order)
    {
        if first.version() < highest_applied {
            return Err(Error::OutOfOrder {
                version: first.version(),
                file: first.up().file().to_owned(),
                highest_applied,
            });
        }
    }
    Ok(Plan { resume, pending })
}

/// The down script a revert of `version` runs: its down file in this binary, else the one
/// recorded in the history.
pub(crate) fn down_file(migrations: &Migrations, version: i64) -> String {
    migrations
        .get(version)
        .and_then(Migration::down)
        .map_or_else(|| RECORDED_DOWN.to_owned(), |down| down.file().to_owned())
}

/// Where a revert's SQL comes from when this binary lacks the migration.
pub(crate) const RECORDED_DOWN: &str = "(down script recorded in the history)";

/// The refusal to do anything but finish the unfinished revert of `row`, whose down script
/// is `file`.
pub(crate) fn unfinished_revert(row: &AppliedMigration, file: &str) -> Error {
    let version = row.version;
    let applied = row.statements_applied;
    let message = match &row.error {
        Some(error) => format!(
            "statement {} failed after {applied} statement(s) of it had been applied: {error}; \
             nothing else runs until the revert is finished. Fix that statement in `{file}` and run `down` \
             to resume the revert at it (the applied statements must stay as they are); \
             if the file is right and the failure came from the environment (a server setting, a lock, a privilege), \
             fix that and run `retry {version}`; or finish the revert by hand and run `repair`",
            applied + 1
        ),
        None => format!(
            "its runner stopped after {applied} statement(s) of `{file}` (it died, or is still running); \
             nothing else runs until the revert is finished: run `down` to resume it"
        ),
    };
    Error::RevertUnfinished {
        version,
        file: file.to_owned(),
        statements_applied: applied,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::{checksum, Script};

    static M1: Migration = Migration::new(
        1,
        "a",
        Script::new("1_a.sql", "SELECT 1;", false),
        None,
        [1; 32],
    );
    static M2: Migration = Migration::new(
        2,
        "b",
        Script::new("2_b.sql", "SELECT 2;", false),
        None,
        [2; 32],
    );
    static M3: Migration = Migration::new(
        3,
        "c",
        Script::new("3_c.sql", "SELECT 3;", false),
        None,
        [3; 32],
    );
    static ALL: Migrations = Migrations::new("m", "/m", &[&M1, &M2, &M3]);

    fn row(version: i64, sum: u8) -> AppliedMigration {
        AppliedMigration {
            version,
            name: format!("v{version}"),
            checksum: vec![sum; 32],
            success: true,
            statements_applied: 0,
            progress_checksum: None,
            error: None,
            revert_checksum: None,
        }
    }

    fn dirty(version: i64, sum: u8, error: Option<&str>) -> AppliedMigration {
        AppliedMigration {
            success: false,
            statements_applied: 1,
            error: error.map(str::to_owned),
            ..row(version, sum)
        }
    }

    fn versions(result: Result<Plan, Error>) -> Vec<i64> {
        match result {
            Ok(plan) => plan.pending.iter().map(|m| m.version()).collect(),
            Err(error) => panic!("unexpected error: {error}"),
        }
    }

    const STRICT: Policy = Policy {
        allow_out_of_order: false,
        ignore_missing: false,
        retry: None,
    };

    #[test]
    fn everything_is_pending_on_a_fresh_database() {
        assert_eq!(versions(plan(&ALL, &[], STRICT)), [1, 2, 3]);
    }

    #[test]
    fn nothing_is_pending_when_all_are_applied() {
        let plan = plan(&ALL, &[row(3, 3), row(1, 1), row(2, 2)], STRICT).expect("plan");
        assert!(plan.is_empty());
        assert_eq!(versions(super::plan(&ALL, &[row(1, 1)], STRICT)), [2, 3]);
    }

    #[test]
    fn an_edited_migration_is_a_checksum_mismatch() {
        let error = plan(&ALL, &[row(1, 1), row(2, 9)], STRICT).expect_err("drift");
        assert!(
            matches!(error, Error::ChecksumMismatch { version: 2, ref file, .. } if file == "2_b.sql"),
            "{error}"
        );
        assert!(error.to_string().contains("restore the file"), "{error}");
    }

    #[test]
    fn an_unknown_applied_version_is_missing_from_binary_unless_ignored() {
        let error = plan(&ALL, &[row(1, 1), row(7, 7)], STRICT).expect_err("drift");
        assert!(
            matches!(error, Error::MissingFromBinary { version: 7, .. }),
            "{error}"
        );
        let policy = Policy {
            ignore_missing: true,
            ..STRICT
        };
        let rows = [row(1, 1), row(2, 2), row(3, 3), row(7, 7)];
        assert!(plan(&ALL, &rows, policy).expect("tolerated").is_empty());
    }

    #[test]
    fn a_pending_version_below_the_highest_applied_is_out_of_order_unless_allowed() {
        let error = plan(&ALL, &[row(1, 1), row(3, 3)], STRICT).expect_err("drift");
        assert!(
            matches!(
                error,
                Error::OutOfOrder {
                    version: 2,
                    highest_applied: 3,
                    ..
                }
            ),
            "{error}"
        );
        let policy = Policy {
            allow_out_of_order: true,
            ..STRICT
        };
        assert_eq!(versions(plan(&ALL, &[row(1, 1), row(3, 3)], policy)), [2]);
    }

    #[test]
    fn a_recorded_failure_of_an_unchanged_file_is_dirty() {
        let error = plan(
            &ALL,
            &[row(1, 1), dirty(2, 2, Some("syntax error"))],
            STRICT,
        )
        .expect_err("dirty");
        assert!(
            matches!(
                error,
                Error::Dirty {
                    version: 2,
                    statements_applied: 1,
                    ..
                }
            ),
            "{error}"
        );
        let text = error.to_string();
        assert!(
            text.contains("statement 2 failed")
                && text.contains("syntax error")
                && text.contains("resume"),
            "{text}"
        );
    }

    #[test]
    fn a_fixed_file_or_an_interrupted_run_is_resumed() {
        let fixed = plan(
            &ALL,
            &[row(1, 1), dirty(2, 9, Some("syntax error"))],
            STRICT,
        )
        .expect("resume");
        assert_eq!(
            fixed.resume.as_ref().map(|r| r.migration.version()),
            Some(2)
        );
        assert_eq!(versions(Ok(fixed)), [3]);
        let interrupted = plan(&ALL, &[row(1, 1), dirty(2, 2, None)], STRICT).expect("resume");
        assert_eq!(
            interrupted
                .resume
                .as_ref()
                .map(|r| r.row.statements_applied),
            Some(1)
        );
    }

    #[test]
    fn a_retried_failure_of_an_unchanged_file_is_resumed() {
        let rows = [row(1, 1), dirty(2, 2, Some("foreign key constraint fails"))];
        let policy = Policy {
            retry: Some(2),
            ..STRICT
        };
        let plan = plan(&ALL, &rows, policy).expect("retried");
        assert_eq!(plan.resume.as_ref().map(|r| r.migration.version()), Some(2));
        let other = Policy {
            retry: Some(3),
            ..STRICT
        };
        assert!(matches!(
            super::plan(&ALL, &rows, other),
            Err(Error::Dirty { version: 2, .. })
        ));
    }

    #[test]
    fn an_unfinished_revert_forbids_everything_and_names_the_down_script() {
        let reverting = AppliedMigration {
            revert_checksum: Some(vec![7; 32]),
            ..dirty(2, 2, Some("Unknown table 't1_typo'"))
        };
        for policy in [
            STRICT,
            Policy {
                retry: Some(2),
                allow_out_of_order: true,
                ignore_missing: true,
            },
        ] {
            let error = plan(&ALL, &[row(1, 1), reverting.clone()], policy).expect_err("refused");
            match &error {
                Error::RevertUnfinished {
                    version: 2,
                    file,
                    statements_applied: 1,
                    message,
                } => {
                    // 2_b has no down file here: the recorded down script reverts it.
                    assert_eq!(file, RECORDED_DOWN);
                    assert!(
                        message.contains("statement 2 failed") && message.contains("run `down`"),
                        "{message}"
                    );
                }
                other => panic!("expected RevertUnfinished, got {other:?}"),
            }
        }
        let interrupted = AppliedMigration {
            error: None,
            ..reverting
        };
        let error = plan(&ALL, &[row(1, 1), interrupted], STRICT).expect_err("refused");
        assert!(
            error.to_string().contains("run `down` to resume it"),
            "{error}"
        );
    }

    #[test]
    fn a_dirty_migration_missing_from_the_binary_is_refused() {
        let error = plan(&ALL, &[row(1, 1), dirty(8, 8, None)], STRICT).expect_err("dirty");
        assert!(matches!(error, Error::Dirty { version: 8, .. }), "{error}");
    }

    #[test]
    fn checksum_ignores_line_endings_and_bom() {
        assert_eq!(checksum(b"a\r\nb\r\n"), checksum(b"a\nb\n"));
        assert_eq!(checksum(b"\xEF\xBB\xBFa\n"), checksum(b"a\n"));
        assert_ne!(checksum(b"a\n"), checksum(b"a\n\n"));
    }
}
