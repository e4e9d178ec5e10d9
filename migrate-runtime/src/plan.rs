//! What a run has to do, decided without a database: pending migrations, and drift between
//! the binary and the history table.

use std::collections::HashMap;

use crate::history::AppliedMigration;
use crate::migration::{hex, Migration, Migrations};
use crate::Error;

/// Finds the migrations to apply, or the first drift that forbids applying anything.
///
/// Checks, in this order, each reported with the lowest version first: a dirty migration,
/// an applied migration whose file changed, an applied migration missing from the binary,
/// and a pending migration below the highest applied one.
pub(crate) fn pending(
    migrations: &Migrations,
    applied: &[AppliedMigration],
) -> Result<Vec<&'static Migration>, Error> {
    let mut applied: Vec<&AppliedMigration> = applied.iter().collect();
    applied.sort_by_key(|row| row.version);

    if let Some(row) = applied.iter().find(|row| !row.success) {
        return Err(Error::Dirty {
            version: row.version,
            name: row.name.clone(),
        });
    }
    for row in &applied {
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
            None => {
                return Err(Error::MissingFromBinary {
                    version: row.version,
                    name: row.name.clone(),
                })
            }
        }
    }

    let done: HashMap<i64, ()> = applied.iter().map(|row| (row.version, ())).collect();
    let highest_applied = applied.last().map(|row| row.version);
    let pending: Vec<&'static Migration> = migrations
        .iter()
        .filter(|m| !done.contains_key(&m.version()))
        .collect();
    if let (Some(first), Some(highest_applied)) = (pending.first(), highest_applied) {
        if first.version() < highest_applied {
            return Err(Error::OutOfOrder {
                version: first.version(),
                file: first.up().file().to_owned(),
                highest_applied,
            });
        }
    }
    Ok(pending)
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
    static ALL: Migrations = Migrations::new("m", &[&M1, &M2, &M3]);

    fn row(version: i64, sum: u8) -> AppliedMigration {
        AppliedMigration {
            version,
            name: format!("v{version}"),
            checksum: vec![sum; 32],
            success: true,
        }
    }

    fn versions(result: Result<Vec<&'static Migration>, Error>) -> Vec<i64> {
        match result {
            Ok(list) => list.iter().map(|m| m.version()).collect(),
            Err(error) => panic!("unexpected error: {error}"),
        }
    }

    #[test]
    fn everything_is_pending_on_a_fresh_database() {
        assert_eq!(versions(pending(&ALL, &[])), [1, 2, 3]);
    }

    #[test]
    fn nothing_is_pending_when_all_are_applied() {
        assert_eq!(
            versions(pending(&ALL, &[row(3, 3), row(1, 1), row(2, 2)])),
            Vec::<i64>::new()
        );
        assert_eq!(versions(pending(&ALL, &[row(1, 1)])), [2, 3]);
    }

    #[test]
    fn an_edited_migration_is_a_checksum_mismatch() {
        let error = pending(&ALL, &[row(1, 1), row(2, 9)]).expect_err("drift");
        assert!(
            matches!(error, Error::ChecksumMismatch { version: 2, ref file, .. } if file == "2_b.sql"),
            "{error}"
        );
        assert!(error.to_string().contains("restore the file"), "{error}");
    }

    #[test]
    fn an_unknown_applied_version_is_missing_from_binary() {
        let error = pending(&ALL, &[row(1, 1), row(7, 7)]).expect_err("drift");
        assert!(
            matches!(error, Error::MissingFromBinary { version: 7, .. }),
            "{error}"
        );
    }

    #[test]
    fn a_pending_version_below_the_highest_applied_is_out_of_order() {
        let error = pending(&ALL, &[row(1, 1), row(3, 3)]).expect_err("drift");
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
    }

    #[test]
    fn a_failed_migration_is_dirty() {
        let mut failed = row(2, 2);
        failed.success = false;
        let error = pending(&ALL, &[row(1, 1), failed]).expect_err("dirty");
        assert!(matches!(error, Error::Dirty { version: 2, .. }), "{error}");
    }

    #[test]
    fn checksum_ignores_line_endings_and_bom() {
        assert_eq!(checksum(b"a\r\nb\r\n"), checksum(b"a\nb\n"));
        assert_eq!(checksum(b"\xEF\xBB\xBFa\n"), checksum(b"a\n"));
        assert_ne!(checksum(b"a\n"), checksum(b"a\n\n"));
    }
}
