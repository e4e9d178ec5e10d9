use super::*;

#[test]
fn set_not_null_on_an_existing_table_fires() {
    let sql = "ALTER TABLE users ALTER COLUMN email SET NOT NULL";
    assert_eq!(postgres(sql), [Rule::SetNotNull]);
    let lint = only_lint(Postgres, sql);
    assert!(lint.message.contains("`email`") && lint.message.contains("`users`"));
    assert!(
        lint.fix.contains("CHECK (email IS NOT NULL) NOT VALID"),
        "{}",
        lint.fix
    );
}

#[test]
fn set_not_null_on_a_new_table_is_silent() {
    let sql = "ALTER TABLE users ALTER COLUMN email SET NOT NULL";
    assert_eq!(rules_in(Postgres, &created(&["users"]), sql), []);
}

#[test]
fn set_not_null_after_a_validated_check_is_silent() {
    assert_eq!(
        postgres(
            "ALTER TABLE users ADD CONSTRAINT email_present CHECK (email IS NOT NULL) NOT VALID;
             ALTER TABLE users VALIDATE CONSTRAINT email_present;
             ALTER TABLE users ALTER COLUMN email SET NOT NULL;
             ALTER TABLE users DROP CONSTRAINT email_present;"
        ),
        []
    );
}

#[test]
fn a_check_validated_in_an_earlier_migration_counts() {
    let files = [
        "ALTER TABLE users ADD CONSTRAINT email_present CHECK (email IS NOT NULL) NOT VALID",
        "ALTER TABLE users VALIDATE CONSTRAINT email_present",
        "ALTER TABLE Users ALTER COLUMN EMAIL SET NOT NULL",
    ];
    assert_eq!(lint_files(Postgres, &files), [vec![], vec![], vec![]]);
}

#[test]
fn a_check_not_yet_validated_or_on_another_column_proves_nothing() {
    assert_eq!(
        postgres(
            "ALTER TABLE users ADD CONSTRAINT email_present CHECK (email IS NOT NULL) NOT VALID;
             ALTER TABLE users ALTER COLUMN email SET NOT NULL;"
        ),
        [Rule::SetNotNull]
    );
    assert_eq!(
        postgres(
            "ALTER TABLE users ADD CONSTRAINT email_present CHECK (email IS NOT NULL) NOT VALID;
             ALTER TABLE users VALIDATE CONSTRAINT email_present;
             ALTER TABLE users ALTER COLUMN name SET NOT NULL;"
        ),
        [Rule::SetNotNull]
    );
}

#[test]
fn set_not_null_is_postgres_only() {
    assert_eq!(
        mysql("ALTER TABLE users ALTER COLUMN email SET NOT NULL"),
        []
    );
}
