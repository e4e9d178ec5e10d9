//! The analysis that [`embed_migrations!`](crate::embed_migrations) runs on the SQL at compile
//! time, run again on the embedded migrations (feature `lint`): for CI, editors and the CLI's
//! `lint` command, which need no database.
//!
//! The analysis folds a model of the schema over the migrations in version order and reports
//! two kinds of [`Finding`]: errors, statements that certainly fail (a table that does not
//! exist at that point, `CREATE INDEX CONCURRENTLY` in a file that runs in a transaction), and
//! lints, statements that work but are risky on a live database (see [`Rule`]). The build
//! reports errors as compile errors and lints as warnings; [`lint`] returns them, honouring
//! the rules the macro call allows (`allow = [...]`), so that it reports what the build
//! reports. A finding's `Display` is the compiler's text: the place, what is wrong, the
//! statement, the fix.
//!
//! ```
//! # extern crate checked_migrations as migrate; // users name the dependency `migrate`
//! use migrate::lint::{dialects, lint, Dialect, Rule, Settings, Severity};
//!
//! # #[cfg(feature = "sqlite")]
//! # {
//! migrate::embed_migrations!("migrations", dialect = "sqlite", allow = ["drop-table"]);
//!
//! // The dialect and the allowed rules of the macro call are recorded in the binary.
//! assert_eq!(dialects(&migrations::MIGRATIONS), [Dialect::Sqlite]);
//! let findings = lint(&migrations::MIGRATIONS, Dialect::Sqlite, &Settings::default());
//! for finding in &findings {
//!     eprintln!("{finding}");
//! }
//! // These migrations compile, so the analysis found no error in them; and the macro call
//! // allows `drop-table`.
//! assert!(findings.iter().all(|f| f.severity() == Severity::Warning));
//! assert!(findings.iter().all(|f| f.code() != "drop-table"));
//! # }
//! // Rules are named as in `allow = [...]` and `-- migrate:allow drop-column`.
//! assert_eq!(Rule::from_name("drop-column"), Some(Rule::DropColumn));
//! ```

pub use migrate_runtime::analysis::{
    analyze_files, combine, Dialect, File, Finding, Kind, Problem, Rule, Settings, Severity,
};

use crate::Migrations;

/// The errors and lints of `migrations` read as `dialect`, in file order. The names of the
/// macro call's `allow = [...]` are allowed on top of `settings`.
pub fn lint(migrations: &Migrations, dialect: Dialect, settings: &Settings) -> Vec<Finding> {
    migrate_runtime::analysis::analyze(migrations, dialect, settings)
}

/// The dialects the build read the SQL of `migrations` in ([`Migrations::dialects`]): those
/// of the macro call's `dialect = …`, else the one database feature enabled. Empty when the
/// build did not read the SQL (no argument and several database features, or none).
pub fn dialects(migrations: &Migrations) -> Vec<Dialect> {
    migrations.dialects().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    static NONE: Migrations = migrate_runtime::__private::Migrations::new("m", "", &[]);
    static RECORDED: Migrations = migrate_runtime::__private::Migrations::new("m", "", &[])
        .with_dialects(&[Dialect::MySql, Dialect::Postgres])
        .with_allowed_lints(&["drop-table", "not-a-rule", "update-without-where"]);

    #[test]
    fn the_recorded_dialects_come_first() {
        assert_eq!(dialects(&RECORDED), [Dialect::MySql, Dialect::Postgres]);
    }

    #[test]
    fn allowed_names_are_honoured_and_unknown_names_are_passed_over() {
        assert_eq!(
            RECORDED.allowed_lints(),
            ["drop-table", "not-a-rule", "update-without-where"]
        );
        assert!(NONE.allowed_lints().is_empty());
        // Nothing to find in no migrations, whatever is allowed.
        assert!(lint(&RECORDED, Dialect::MySql, &Settings::default()).is_empty());
    }
}
