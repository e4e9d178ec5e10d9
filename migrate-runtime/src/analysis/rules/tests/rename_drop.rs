use super::*;

#[test]
fn dropping_an_existing_table_fires_on_every_database() {
    for dialect in [Postgres, MySql, Sqlite] {
        assert_eq!(
            rules_in(dialect, &NOTHING, "DROP TABLE IF EXISTS sessions"),
            [Rule::DropTable],
            "{dialect:?}"
        );
    }
    let lint = only_lint(Postgres, "DROP TABLE sessions, staging");
    assert!(
        lint.message.contains("tables `sessions`, `staging`"),
        "{}",
        lint.message
    );
}

#[test]
fn dropping_a_table_of_the_same_migration_is_silent() {
    let created = created(&["staging"]);
    assert_eq!(rules_in(Postgres, &created, "DROP TABLE staging"), []);
    let lint = lint_file(
        "DROP TABLE staging, sessions",
        Sqlite,
        Transaction::One,
        &created,
    );
    assert_eq!(lint.len(), 1);
    assert!(
        lint[0].message.contains("table `sessions`"),
        "{}",
        lint[0].message
    );
    assert!(!lint[0].message.contains("staging"), "{}", lint[0].message);
}

#[test]
fn dropping_columns_fires_once_per_statement() {
    let sql = "ALTER TABLE users DROP COLUMN legacy, DROP COLUMN IF EXISTS older CASCADE";
    assert_eq!(postgres(sql), [Rule::DropColumn]);
    let lint = only_lint(Postgres, sql);
    assert!(
        lint.message.contains("columns `legacy`, `older`"),
        "{}",
        lint.message
    );
    assert_eq!(mysql("ALTER TABLE users DROP legacy"), [Rule::DropColumn]);
    assert_eq!(
        sqlite("ALTER TABLE users DROP COLUMN legacy"),
        [Rule::DropColumn]
    );
    let sql = "ALTER TABLE users DROP COLUMN legacy";
    assert_eq!(rules_in(Postgres, &created(&["users"]), sql), []);
}

#[test]
fn renaming_an_existing_table_fires() {
    assert_eq!(
        postgres("ALTER TABLE customers RENAME TO clients"),
        [Rule::RenameTable]
    );
    assert_eq!(
        sqlite("ALTER TABLE customers RENAME TO clients"),
        [Rule::RenameTable]
    );
    assert_eq!(
        mysql("RENAME TABLE customers TO clients"),
        [Rule::RenameTable]
    );
    let lint = only_lint(MySql, "RENAME TABLE customers TO clients");
    assert!(lint.message.contains("`customers`"), "{}", lint.message);
    let sql = "ALTER TABLE customers RENAME TO clients";
    assert_eq!(rules_in(Postgres, &created(&["customers"]), sql), []);
}

#[test]
fn renaming_a_column_fires() {
    assert_eq!(
        postgres("ALTER TABLE users RENAME COLUMN name TO full_name"),
        [Rule::RenameColumn]
    );
    assert_eq!(
        postgres("ALTER TABLE users RENAME name TO full_name"),
        [Rule::RenameColumn]
    );
    assert_eq!(
        sqlite("ALTER TABLE users RENAME COLUMN name TO full_name"),
        [Rule::RenameColumn]
    );
    let lint = only_lint(
        Postgres,
        "ALTER TABLE users RENAME COLUMN name TO full_name",
    );
    assert!(lint.message.contains("`name`") && lint.message.contains("`full_name`"));
    let sql = "ALTER TABLE users RENAME COLUMN name TO full_name";
    assert_eq!(rules_in(MySql, &created(&["users"]), sql), []);
}

#[test]
fn other_drops_and_renames_are_silent() {
    assert_eq!(
        postgres(
            "DROP VIEW report;
             ALTER TABLE users RENAME CONSTRAINT a TO b;
             ALTER INDEX users_email RENAME TO users_email_key;"
        ),
        []
    );
}
