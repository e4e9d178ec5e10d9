//! The seal of earlier versions: a one-row table beside the history table
//! (`<history>_seal`), kept current by triggers on the history table (and, on PostgreSQL, a
//! trigger function named after the seal table). It is gone: the summary of the history is
//! read instead. A locked run removes it where it finds it, so that no trigger of ours
//! stays in a database migrated by an earlier version.

use crate::history::HistoryTable;
use crate::statements::Dialect;

/// The names of the seal's two triggers on PostgreSQL, where trigger names are per table.
const PG_TRIGGERS: [&str; 2] = ["migrate_seal", "migrate_seal_truncate"];

/// The statements that drop the seal of `table` where it exists, in one round trip; `None`
/// where there never was one (SQLite, or a 63-byte history name ending in `_seal`, whose
/// seal would have been the history table itself).
pub(crate) fn drop_sql(table: &HistoryTable, dialect: Dialect) -> Option<String> {
    let seal = table.seal_table();
    if seal == *table {
        return None;
    }
    match dialect {
        Dialect::Postgres => {
            let (history, sealed) = (table.quoted('"'), seal.quoted('"'));
            let [row, truncate] = PG_TRIGGERS;
            // Identifiers are validated (`[A-Za-z_][A-Za-z0-9_]*`), so they are safe in
            // quotes. Nothing is locked when there is no seal table.
            Some(format!(
                "DO $migrate$ BEGIN\n\
                   IF to_regclass('{sealed}') IS NOT NULL THEN\n\
                     DROP TRIGGER IF EXISTS {row} ON {history};\n\
                     DROP TRIGGER IF EXISTS {truncate} ON {history};\n\
                     DROP FUNCTION IF EXISTS {sealed}();\n\
                     DROP TABLE {sealed};\n\
                   END IF;\n\
                 END $migrate$"
            ))
        }
        Dialect::MySql => {
            let trigger = |suffix: &str| seal.suffixed(suffix).quoted('`');
            Some(format!(
                "DROP TRIGGER IF EXISTS {};\nDROP TRIGGER IF EXISTS {};\n\
                 DROP TRIGGER IF EXISTS {};\nDROP TABLE IF EXISTS {}",
                trigger("_i"),
                trigger("_u"),
                trigger("_d"),
                seal.quoted('`')
            ))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statements_name_the_seal_of_the_history_table() {
        let table = HistoryTable::parse("app.hist").expect("valid");
        let pg = drop_sql(&table, Dialect::Postgres).expect("postgres");
        assert!(pg.contains("to_regclass('\"app\".\"hist_seal\"')"));
        assert!(pg.contains("DROP TRIGGER IF EXISTS migrate_seal ON \"app\".\"hist\""));
        let my = drop_sql(&table, Dialect::MySql).expect("mysql");
        assert!(my.starts_with("DROP TRIGGER IF EXISTS `app`.`hist_seal_i`"));
        assert!(my.ends_with("DROP TABLE IF EXISTS `app`.`hist_seal`"));
        assert_eq!(drop_sql(&table, Dialect::Sqlite), None);
    }

    #[test]
    fn a_63_byte_name_ending_in_seal_had_no_seal() {
        let long = format!("{}_seal", "x".repeat(58));
        let table = HistoryTable::parse(&long).expect("valid");
        assert_eq!(drop_sql(&table, Dialect::Postgres), None);
    }
}
