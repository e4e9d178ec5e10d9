//! The name of the template a set of migrations is migrated into once.

use std::fmt::Write as _;

use crate::Migrator;

use super::config::short_hex;

/// Bumped whenever what a template holds changes for the same migrations (e.g. the history
/// table's layout), so that templates built by an older version are not reused.
const TEMPLATE_FORMAT: u32 = 1;

/// A hex digest (16 characters) of everything that decides what a template holds: this
/// crate's version, the history table's name, and each migration's version, name, up
/// checksum, down script and directives. An unchanged set of migrations gets the same
/// digest in every process and every `cargo test` run; any change gets another.
pub(crate) fn fingerprint(migrator: &Migrator) -> String {
    let mut text = format!(
        "migrate::testing template {TEMPLATE_FORMAT}\nmigrate {}\nhistory {}\n",
        env!("CARGO_PKG_VERSION"),
        migrator.table()
    );
    for migration in migrator.migrations().iter() {
        let _ = write!(
            text,
            "{} {} up {} {}",
            migration.version(),
            migration.name(),
            short_hex(migration.checksum(), 32),
            migration.up().no_transaction()
        );
        if let Some(down) = migration.down() {
            let _ = write!(
                text,
                " down {} {}",
                short_hex(&crate::checksum(down.sql().as_bytes()), 32),
                down.no_transaction()
            );
        }
        text.push('\n');
    }
    short_hex(&crate::checksum(text.as_bytes()), 8)
}

/// The template database (PostgreSQL) or file stem (SQLite) for `migrator`.
pub(crate) fn template_name(migrator: &Migrator) -> String {
    format!("migrate_tpl_{}", fingerprint(migrator))
}
