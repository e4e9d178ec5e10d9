//! The no-op check: one small row that summarises the history table, compared with the
//! embedded migrations, instead of every row read and decoded.
//!
//! When the summary shows that the history holds exactly the embedded migrations, each
//! applied successfully with the same checksum, there is nothing to apply and no drift to
//! report, whatever the policy. Any other summary (or none) tells nothing: the migrator then
//! reads the whole history and decides as always, so drift is reported exactly as before.

use sha2::{Digest, Sha256};

use crate::migration::Migrations;

/// The history table in one row, as each backend's summary query returns it.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct Summary {
    /// The number of rows.
    pub rows: i64,
    /// Whether every row succeeded and has a 32-byte checksum; `None` for an empty table.
    pub all_applied: Option<bool>,
    /// Every version, in the order the database read the rows; `None` when the database
    /// returned something else.
    pub versions: Option<Vec<i64>>,
    /// The checksums of the rows, in that same order.
    pub checksums: Option<Checksums>,
}

/// The checksums of the history rows, in the order of [`Summary::versions`].
#[doc(hidden)]
#[derive(Debug)]
pub enum Checksums {
    /// All of them, concatenated (MySQL and SQLite, which send bytes as they are).
    Concatenated(Vec<u8>),
    /// SHA-256 over their concatenation (PostgreSQL, whose simple query protocol would send
    /// the bytes as hex text).
    Sha256(Vec<u8>),
}

/// `1,2,3` as versions; `None` if anything else is in it.
#[cfg(any(feature = "postgres", feature = "sqlite", test))]
pub(crate) fn parse_versions(text: &str) -> Option<Vec<i64>> {
    text.split(',').map(|v| v.parse().ok()).collect()
}

/// What MySQL's `GROUP_CONCAT(checksum, version)` returns: for each row its 32-byte
/// checksum then its version in decimal, the rows separated by commas (which the fixed-size
/// checksums make unambiguous). `None` if anything else is in it.
#[cfg(any(feature = "mysql", test))]
pub(crate) fn split_checksums_and_versions(mut bytes: &[u8]) -> Option<(Vec<i64>, Vec<u8>)> {
    let mut versions = Vec::with_capacity(bytes.len() / 36);
    let mut checksums = Vec::with_capacity(bytes.len());
    loop {
        let (checksum, rest) = bytes.split_at_checked(32)?;
        checksums.extend_from_slice(checksum);
        let end = rest.iter().position(|&b| b == b',').unwrap_or(rest.len());
        versions.push(std::str::from_utf8(&rest[..end]).ok()?.parse().ok()?);
        match rest.get(end + 1..) {
            Some(next) => bytes = next,
            None => return Some((versions, checksums)),
        }
    }
}

impl Summary {
    /// Whether the history holds exactly `migrations`, every one applied successfully and
    /// recorded with the checksum of the embedded file.
    pub fn matches(&self, migrations: &Migrations) -> bool {
        let list = migrations.as_slice();
        if usize::try_from(self.rows).ok() != Some(list.len()) {
            return false;
        }
        if list.is_empty() {
            return true;
        }
        let (Some(true), Some(versions), Some(checksums)) =
            (self.all_applied, &self.versions, &self.checksums)
        else {
            return false;
        };
        if versions.len() != list.len() {
            return false;
        }
        let mut seen = vec![false; list.len()];
        let mut hasher = Sha256::new();
        for (row, &version) in versions.iter().enumerate() {
            // Rows usually come in version order: try the same position first.
            let index = match list.get(row) {
                Some(m) if m.version() == version => row,
                _ => match list.binary_search_by_key(&version, |m| m.version()) {
                    Ok(index) => index,
                    Err(_) => return false,
                },
            };
            if std::mem::replace(&mut seen[index], true) {
                return false;
            }
            let expected = list[index].checksum();
            match checksums {
                Checksums::Concatenated(all) => {
                    if all.get(row * 32..row * 32 + 32) != Some(&expected[..]) {
                        return false;
                    }
                }
                Checksums::Sha256(_) => hasher.update(expected),
            }
        }
        // As many versions as embedded, all distinct and all embedded: the same set.
        match checksums {
            Checksums::Concatenated(all) => all.len() == 32 * list.len(),
            Checksums::Sha256(digest) => digest[..] == hasher.finalize()[..],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::{Migration, Script};

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
    static M5: Migration = Migration::new(
        5,
        "c",
        Script::new("5_c.sql", "SELECT 5;", false),
        None,
        [5; 32],
    );
    static ALL: Migrations = Migrations::new("m", "/m", &[&M1, &M2, &M5]);
    static NONE: Migrations = Migrations::new("m", "/m", &[]);

    /// The summary of rows (version, checksum byte), all applied.
    fn summary(rows: &[(i64, u8)], hashed: bool) -> Summary {
        let versions: Vec<i64> = rows.iter().map(|(v, _)| *v).collect();
        let bytes: Vec<u8> = rows.iter().flat_map(|(_, c)| [*c; 32]).collect();
        Summary {
            rows: rows.len() as i64,
            all_applied: (!rows.is_empty()).then_some(true),
            versions: (!rows.is_empty()).then_some(versions),
            checksums: (!rows.is_empty()).then(|| {
                if hashed {
                    Checksums::Sha256(Sha256::digest(&bytes).to_vec())
                } else {
                    Checksums::Concatenated(bytes)
                }
            }),
        }
    }

    #[test]
    fn the_same_set_in_any_row_order_matches() {
        for hashed in [false, true] {
            assert!(summary(&[(1, 1), (2, 2), (5, 5)], hashed).matches(&ALL));
            assert!(summary(&[(5, 5), (1, 1), (2, 2)], hashed).matches(&ALL));
        }
        assert!(summary(&[], false).matches(&NONE));
    }

    #[test]
    fn any_difference_does_not_match() {
        for hashed in [false, true] {
            let cases: [&[(i64, u8)]; 7] = [
                &[(1, 1), (2, 2)],                 // pending
                &[(1, 1), (2, 2), (5, 5), (6, 6)], // missing from the binary
                &[(1, 1), (2, 9), (5, 5)],         // edited
                &[(1, 1), (2, 2), (4, 5)],         // another version
                &[(1, 1), (1, 1), (5, 5)],         // a duplicate
                &[(1, 2), (2, 1), (5, 5)],         // checksums swapped
                &[],
            ];
            for rows in cases {
                assert!(!summary(rows, hashed).matches(&ALL), "{rows:?}");
            }
            assert!(!summary(&[(1, 1)], hashed).matches(&NONE));
        }
        let mut unfinished = summary(&[(1, 1), (2, 2), (5, 5)], false);
        unfinished.all_applied = Some(false);
        assert!(!unfinished.matches(&ALL));
        let mut truncated = summary(&[(1, 1), (2, 2), (5, 5)], false);
        if let Some(Checksums::Concatenated(bytes)) = &mut truncated.checksums {
            bytes.push(0);
        }
        assert!(!truncated.matches(&ALL));
        let mut unreadable = summary(&[(1, 1), (2, 2), (5, 5)], true);
        unreadable.versions = None;
        assert!(!unreadable.matches(&ALL));
    }

    #[test]
    fn version_lists_are_parsed_or_refused() {
        assert_eq!(parse_versions("1,20,300"), Some(vec![1, 20, 300]));
        assert_eq!(parse_versions("1,,3"), None);
        assert_eq!(parse_versions("1,x"), None);
        let mut bytes = Vec::new();
        for (version, byte) in [(7, b','), (12, b'3')] {
            bytes.extend_from_slice(&[byte; 32]);
            bytes.extend_from_slice(format!("{version},").as_bytes());
        }
        bytes.pop();
        let (versions, checksums) = split_checksums_and_versions(&bytes).expect("valid");
        assert_eq!(versions, [7, 12]);
        assert_eq!(checksums.len(), 64);
        assert_eq!((checksums[0], checksums[32]), (b',', b'3'));
        assert_eq!(split_checksums_and_versions(&bytes[..40]), None);
        assert_eq!(split_checksums_and_versions(b""), None);
    }
}
