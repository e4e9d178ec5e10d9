//! The seal: a one-row table beside the history table (`<history>_seal`) that holds the
//! number of history rows and a digest of them, kept current by triggers on the history
//! table. A start-up with nothing to do reads that row, whatever the number of migrations,
//! instead of aggregating every history row.
//!
//! The digest is the XOR of one 64-bit hash per row (see [`row_hash`]), so a trigger updates
//! it from the changed row alone: XOR the old row's hash out and the new row's in. Any
//! change to the history, by this crate or by hand, goes through the triggers, so the seal
//! stays true to the rows; where it cannot be trusted (no seal, the table recreated behind
//! it, a trigger disabled or dropped) the check returns no row and the migrator falls back
//! to the summary of the whole table ([`crate::summary`]). SQLite has no seal: its summary
//! is read from the process's own file and costs little.
//!
//! The seal is installed, and recomputed from the rows, under the migration lock at every
//! run that has work to do; a seal found to disagree with the rows is recomputed the same
//! way at the next start-up.

use std::fmt;

use sha2::{Digest, Sha256};

use crate::history::AppliedMigration;
#[cfg(any(feature = "postgres", feature = "mysql", test))]
use crate::history::HistoryTable;
use crate::migration::Migrations;

/// The number of history rows and the XOR of their [`row_hash`]es.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Seal {
    /// The number of rows.
    pub rows: i64,
    /// The XOR of their hashes.
    pub digest: u64,
}

impl fmt::Display for Seal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} rows, digest {:016x}", self.rows, self.digest)
    }
}

impl Seal {
    /// Adds one row.
    fn add(&mut self, version: i64, checksum: &[u8], success: bool) {
        self.rows += 1;
        self.digest ^= row_hash(version, checksum, success);
    }

    /// The seal of a history holding exactly these rows.
    pub(crate) fn of_rows(rows: &[AppliedMigration]) -> Seal {
        let mut seal = Seal::default();
        for row in rows {
            seal.add(row.version, &row.checksum, row.success);
        }
        seal
    }

    /// The seal of a history holding exactly `migrations`, each applied successfully with
    /// the checksum of its file.
    pub(crate) fn of_migrations(migrations: &Migrations) -> Seal {
        let mut seal = Seal::default();
        for migration in migrations.iter() {
            seal.add(migration.version(), migration.checksum(), true);
        }
        seal
    }
}

/// The hash of one history row: the first 8 bytes (big-endian) of SHA-256 over the version
/// as 8 big-endian bytes, the checksum, and one byte for `success`. The triggers compute
/// the same in SQL ([`pg_row_hash`], [`mysql_row_hash`]).
pub(crate) fn row_hash(version: i64, checksum: &[u8], success: bool) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(version.to_be_bytes());
    hasher.update(checksum);
    hasher.update([u8::from(success)]);
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// The seal table of `table`, `None` when its name would be the history table's own (a
/// 63-byte name ending in `_seal`).
#[cfg(any(feature = "postgres", feature = "mysql", test))]
pub(crate) fn seal_table(table: &HistoryTable) -> Option<HistoryTable> {
    let seal = table.seal_table();
    (seal != *table).then_some(seal)
}

/// [`row_hash`] of the row `r` (`NEW` or `OLD`) in PostgreSQL.
#[cfg(any(feature = "postgres", test))]
fn pg_row_hash(r: &str) -> String {
    format!(
        "('x' || encode(substr(sha256(int8send({r}.version) || {r}.checksum \
         || CASE WHEN {r}.success THEN decode('01', 'hex') ELSE decode('00', 'hex') END), \
         1, 8), 'hex'))::bit(64)::bigint"
    )
}

/// [`row_hash`] of the row `r` (`NEW` or `OLD`) in MySQL and MariaDB.
#[cfg(any(feature = "mysql", test))]
fn mysql_row_hash(r: &str) -> String {
    format!(
        "CAST(CONV(LEFT(SHA2(CONCAT(UNHEX(LPAD(HEX({r}.version), 16, '0')), {r}.checksum, \
         IF({r}.success, 0x01, 0x00)), 256), 16), 16, 10) AS UNSIGNED)"
    )
}

/// The seal's two triggers on PostgreSQL, where trigger names are per table.
#[cfg(any(feature = "postgres", test))]
const PG_TRIGGERS: [&str; 2] = ["migrate_seal", "migrate_seal_truncate"];

/// The history table as a `regclass` literal. Identifiers are validated
/// (`[A-Za-z_][A-Za-z0-9_]*`), so they are safe inside quotes and dollar quotes alike.
#[cfg(any(feature = "postgres", test))]
fn pg_regclass(table: &HistoryTable) -> String {
    format!("'{}'::regclass", table.quoted('"'))
}

/// The statements of the seal on PostgreSQL. The triggers fire `ALWAYS`, also in sessions
/// with `session_replication_role = replica` (logical replication, some restore tools),
/// which would otherwise change the history unseen.
#[cfg(any(feature = "postgres", test))]
pub(crate) struct PgSealSql {
    /// Creates the seal table, its trigger function and triggers where missing, and
    /// recomputes the row from the history, in one implicit transaction.
    pub install: String,
    /// Empties the seal table (after a failed installation).
    pub clear: String,
}

#[cfg(any(feature = "postgres", test))]
impl PgSealSql {
    /// Reads the seal row; no row when the seal cannot be trusted. Run at every start-up,
    /// so built apart from the installation's statements.
    pub(crate) fn check(table: &HistoryTable, seal: &HistoryTable) -> String {
        let regclass = pg_regclass(table);
        let sealed = seal.quoted('"');
        let [row_trigger, truncate_trigger] = PG_TRIGGERS;
        format!(
            "SELECT s.row_count, s.digest FROM {sealed} s \
             WHERE s.id = 1 AND s.history = {regclass} \
             AND (SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = s.history \
                  AND t.tgname IN ('{row_trigger}', '{truncate_trigger}') \
                  AND t.tgenabled IN ('O', 'A')) = 2"
        )
    }

    pub(crate) fn new(table: &HistoryTable, seal: &HistoryTable) -> PgSealSql {
        let history = table.quoted('"');
        let regclass = pg_regclass(table);
        let sealed = seal.quoted('"');
        let function = sealed.clone();
        let [row_trigger, truncate_trigger] = PG_TRIGGERS;
        let (new, old) = (pg_row_hash("NEW"), pg_row_hash("OLD"));
        PgSealSql {
            install: format!(
                "CREATE TABLE IF NOT EXISTS {sealed} (\
                   id INTEGER PRIMARY KEY CHECK (id = 1), history REGCLASS NOT NULL, \
                   row_count BIGINT NOT NULL, digest BIGINT NOT NULL);\n\
                 LOCK TABLE {history} IN SHARE ROW EXCLUSIVE MODE;\n\
                 CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $migrate$\n\
                 BEGIN\n\
                   IF TG_OP = 'TRUNCATE' THEN\n\
                     UPDATE {sealed} SET row_count = 0, digest = 0;\n\
                   ELSIF TG_OP = 'INSERT' THEN\n\
                     UPDATE {sealed} SET row_count = row_count + 1, digest = digest # {new};\n\
                   ELSIF TG_OP = 'DELETE' THEN\n\
                     UPDATE {sealed} SET row_count = row_count - 1, digest = digest # {old};\n\
                   ELSIF (OLD.version, OLD.checksum, OLD.success) \
                     IS DISTINCT FROM (NEW.version, NEW.checksum, NEW.success) THEN\n\
                     UPDATE {sealed} SET digest = digest # {old} # {new};\n\
                   END IF;\n\
                   RETURN NULL;\n\
                 END\n\
                 $migrate$;\n\
                 DO $migrate$ BEGIN\n\
                   IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = {regclass} AND tgname = '{row_trigger}') THEN\n\
                     CREATE TRIGGER {row_trigger} AFTER INSERT OR UPDATE OR DELETE ON {history} \
                       FOR EACH ROW EXECUTE FUNCTION {function}();\n\
                     ALTER TABLE {history} ENABLE ALWAYS TRIGGER {row_trigger};\n\
                   END IF;\n\
                   IF NOT EXISTS (SELECT FROM pg_trigger WHERE tgrelid = {regclass} AND tgname = '{truncate_trigger}') THEN\n\
                     CREATE TRIGGER {truncate_trigger} AFTER TRUNCATE ON {history} \
                       FOR EACH STATEMENT EXECUTE FUNCTION {function}();\n\
                     ALTER TABLE {history} ENABLE ALWAYS TRIGGER {truncate_trigger};\n\
                   END IF;\n\
                 END $migrate$;\n\
                 INSERT INTO {sealed} (id, history, row_count, digest) \
                   SELECT 1, {regclass}, count(*), coalesce(bit_xor({rows}), 0) FROM {history} r \
                   ON CONFLICT (id) DO UPDATE SET history = EXCLUDED.history, \
                   row_count = EXCLUDED.row_count, digest = EXCLUDED.digest",
                rows = pg_row_hash("r"),
            ),
            clear: format!("DELETE FROM {sealed}"),
        }
    }
}

/// The statements of the seal on MySQL and MariaDB. An update that leaves the hashed
/// columns as they were (the progress of a migration run statement by statement) skips
/// the seal.
#[cfg(any(feature = "mysql", test))]
pub(crate) struct MySqlSealSql {
    /// Creates the seal table.
    pub create: String,
    /// Creates each trigger (each fails with error 1359 when it exists).
    pub triggers: [String; 3],
    /// Recomputes the row from the history.
    pub reseal: String,
    /// Empties the seal table (after a failed installation).
    pub clear: String,
}

/// The history table's creation time on MySQL. When the history table is dropped, its
/// triggers go with it: the seal keeps this time, so that a table recreated behind its back
/// is not trusted.
#[cfg(any(feature = "mysql", test))]
fn mysql_created(table: &HistoryTable) -> String {
    let schema = table
        .schema()
        .map_or_else(|| "DATABASE()".to_owned(), |s| format!("'{s}'"));
    format!(
        "(SELECT t.CREATE_TIME FROM information_schema.TABLES t \
          WHERE t.TABLE_SCHEMA = {schema} AND t.TABLE_NAME = '{}')",
        table.name()
    )
}

#[cfg(any(feature = "mysql", test))]
impl MySqlSealSql {
    /// Reads the seal row; no row when the seal cannot be trusted. TRUNCATE does not fire
    /// triggers on MySQL: an empty history is never trusted.
    pub(crate) fn check(table: &HistoryTable, seal: &HistoryTable) -> String {
        format!(
            "SELECT s.row_count, s.digest FROM {} s \
             WHERE s.id = 1 AND s.history_created <=> {} \
             AND EXISTS (SELECT 1 FROM {})",
            seal.quoted('`'),
            mysql_created(table),
            table.quoted('`')
        )
    }

    pub(crate) fn new(table: &HistoryTable, seal: &HistoryTable) -> MySqlSealSql {
        let history = table.quoted('`');
        let sealed = seal.quoted('`');
        let created = mysql_created(table);
        let trigger = |suffix: &str| seal.suffixed(suffix).quoted('`');
        let (new, old) = (mysql_row_hash("NEW"), mysql_row_hash("OLD"));
        MySqlSealSql {
            create: format!(
                "CREATE TABLE IF NOT EXISTS {sealed} (id INT PRIMARY KEY, \
                 row_count BIGINT NOT NULL, digest BIGINT UNSIGNED NOT NULL, \
                 history_created DATETIME NULL)"
            ),
            triggers: [
                format!(
                    "CREATE TRIGGER {} AFTER INSERT ON {history} FOR EACH ROW \
                     UPDATE {sealed} SET row_count = row_count + 1, digest = digest ^ {new} WHERE id = 1",
                    trigger("_i")
                ),
                format!(
                    "CREATE TRIGGER {} AFTER UPDATE ON {history} FOR EACH ROW \
                     UPDATE {sealed} SET digest = digest ^ {old} ^ {new} WHERE id = 1 \
                     AND NOT (OLD.version <=> NEW.version AND OLD.checksum <=> NEW.checksum \
                     AND OLD.success <=> NEW.success)",
                    trigger("_u")
                ),
                format!(
                    "CREATE TRIGGER {} AFTER DELETE ON {history} FOR EACH ROW \
                     UPDATE {sealed} SET row_count = row_count - 1, digest = digest ^ {old} WHERE id = 1",
                    trigger("_d")
                ),
            ],
            // INSERT … SELECT reads the history with shared locks: a concurrent change
            // either commits first and is counted, or waits and then goes through a trigger.
            reseal: format!(
                "INSERT INTO {sealed} (id, row_count, digest, history_created) \
                 SELECT 1, COUNT(*), COALESCE(BIT_XOR({rows}), 0), {created} FROM {history} r \
                 ON DUPLICATE KEY UPDATE row_count = VALUES(row_count), digest = VALUES(digest), \
                 history_created = VALUES(history_created)",
                rows = mysql_row_hash("r"),
            ),
            clear: format!("DELETE FROM {sealed}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migration::{Migration, Script};

    static M1: Migration = Migration::new(1, "a", Script::new("1_a.sql", "", false), None, [1; 32]);
    static M2: Migration = Migration::new(2, "b", Script::new("2_b.sql", "", false), None, [2; 32]);
    static BOTH: Migrations = Migrations::new("m", "/m", &[&M1, &M2]);

    fn row(version: i64, byte: u8, success: bool) -> AppliedMigration {
        AppliedMigration {
            version,
            name: String::new(),
            checksum: vec![byte; 32],
            success,
            statements_applied: 0,
            progress_checksum: None,
            error: None,
        }
    }

    #[test]
    fn the_seal_of_the_rows_is_the_seal_of_the_migrations_in_any_order() {
        let expected = Seal::of_migrations(&BOTH);
        assert_eq!(expected.rows, 2);
        assert_eq!(Seal::of_rows(&[row(1, 1, true), row(2, 2, true)]), expected);
        assert_eq!(Seal::of_rows(&[row(2, 2, true), row(1, 1, true)]), expected);
        for other in [
            vec![row(1, 1, true)],
            vec![row(1, 1, true), row(2, 2, false)],
            vec![row(1, 1, true), row(2, 3, true)],
            vec![row(1, 2, true), row(2, 1, true)],
            vec![row(1, 1, true), row(3, 2, true)],
        ] {
            assert_ne!(Seal::of_rows(&other), expected, "{other:?}");
        }
    }

    #[test]
    fn the_row_hash_is_sha256_of_version_checksum_and_success() {
        // Fixed here so that a change to it, which would make every sealed database look
        // changed once, is deliberate: version 1, checksum 32 × 0x01, success.
        let mut input = vec![0, 0, 0, 0, 0, 0, 0, 1];
        input.extend([1u8; 32]);
        input.push(1);
        let digest = Sha256::digest(&input);
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        assert_eq!(row_hash(1, &[1; 32], true), u64::from_be_bytes(first));
        assert_ne!(row_hash(1, &[1; 32], true), row_hash(1, &[1; 32], false));
    }

    #[test]
    fn a_63_byte_name_ending_in_seal_has_no_seal_table() {
        let long = format!("{}_seal", "x".repeat(58));
        assert_eq!(long.len(), 63);
        assert!(seal_table(&HistoryTable::parse(&long).unwrap()).is_none());
        let seal = seal_table(&HistoryTable::parse("app._migrate_history").unwrap()).unwrap();
        assert_eq!(seal.to_string(), "app._migrate_history_seal");
    }

    #[test]
    fn statements_name_the_seal_and_history_tables() {
        let table = HistoryTable::parse("app.hist").unwrap();
        let seal = seal_table(&table).unwrap();
        let pg = PgSealSql::new(&table, &seal);
        assert!(PgSealSql::check(&table, &seal).contains("FROM \"app\".\"hist_seal\" s"));
        assert!(pg.install.contains("ON \"app\".\"hist\""));
        let my = MySqlSealSql::new(&table, &seal);
        assert!(MySqlSealSql::check(&table, &seal)
            .contains("TABLE_SCHEMA = 'app' AND t.TABLE_NAME = 'hist'"));
        assert!(my.triggers[0]
            .starts_with("CREATE TRIGGER `app`.`hist_seal_i` AFTER INSERT ON `app`.`hist`"));
    }
}
