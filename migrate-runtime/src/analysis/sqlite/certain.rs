//! Whether the runtime will certainly meet an error SQLite returned at compile time, on a
//! database that only the migrations have changed.

use super::connection::{Database, EngineError, Phase};

/// Messages of errors about names the application may supply at run time: functions,
/// collations, virtual table modules and tokenizers it registers or loads (sqlx's
/// `collation`, `extension`, `regexp`), and databases it attaches.
const SUPPLIED_AT_RUN_TIME: [&str; 6] = [
    "no such function: ",
    "no such collation sequence: ",
    "no such module: ",
    "no such tokenizer: ",
    "unknown tokenizer: ",
    "unknown database ",
];

/// Whether the runtime will certainly meet `error` too.
pub(super) fn certain(database: &Database, error: &EngineError) -> bool {
    // Only plain SQL errors: the other codes come from the rows (constraints, datatype
    // mismatch), the machine (full, too big, out of memory) or other connections.
    if error.code & 0xff != libsqlite3_sys::SQLITE_ERROR {
        return false;
    }
    let message = error.message.as_str();
    if SUPPLIED_AT_RUN_TIME
        .iter()
        .any(|prefix| message.starts_with(prefix))
        || missing_table_may_exist(message)
        // Foreign keys are checked only with `foreign_keys = ON`, sqlx's default, which an
        // application may turn off.
        || message.starts_with("foreign key mismatch")
    {
        return false;
    }
    match error.phase {
        // Compiling a statement reads only the schema, which the migrations alone made.
        Phase::Prepare => true,
        // Running it may read rows. With none anywhere, the error came from the schema
        // and the statement alone; otherwise the rows at run time are the application's.
        Phase::Step => !database.has_rows(),
    }
}

/// Whether `message` says a table is missing that may exist at run time all the same: one
/// of a schema other than `main` and `temp` (`no such table: aux.t`, a database the
/// application may attach), or one of SQLite's own (`sqlite_sequence`, `sqlite_stat1`),
/// which appear with what ran on the database (`AUTOINCREMENT` rows, `ANALYZE`,
/// `PRAGMA optimize`), not with the migrations' DDL alone.
fn missing_table_may_exist(message: &str) -> bool {
    let Some(name) = message.strip_prefix("no such table: ") else {
        return false;
    };
    let (schema, table) = name.split_once('.').unwrap_or(("main", name));
    let other_schema = !schema.eq_ignore_ascii_case("main") && !schema.eq_ignore_ascii_case("temp");
    let sqlites_own = table
        .get(..7)
        .is_some_and(|prefix| prefix.eq_ignore_ascii_case("sqlite_"));
    other_schema || sqlites_own
}

#[cfg(test)]
mod tests {
    use super::missing_table_may_exist;

    #[test]
    fn tables_of_other_schemas_and_sqlites_own_may_exist() {
        assert!(missing_table_may_exist("no such table: aux.t"));
        assert!(missing_table_may_exist("no such table: sqlite_sequence"));
        assert!(missing_table_may_exist("no such table: main.SQLITE_STAT1"));
        assert!(!missing_table_may_exist("no such table: t"));
        assert!(!missing_table_may_exist("no such table: main.t"));
        assert!(!missing_table_may_exist("no such table: temp.t"));
        assert!(!missing_table_may_exist("no such column: sqlite_x"));
    }
}
