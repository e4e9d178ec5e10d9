use super::*;

#[test]
fn a_type_change_on_an_existing_table_fires() {
    assert_eq!(
        postgres("ALTER TABLE orders ALTER COLUMN amount TYPE bigint"),
        [Rule::ColumnTypeChange]
    );
    assert_eq!(
        postgres(
            "ALTER TABLE orders ALTER amount SET DATA TYPE numeric(12, 2) USING amount / 100.0"
        ),
        [Rule::ColumnTypeChange]
    );
    let lint = only_lint(
        Postgres,
        "ALTER TABLE orders ALTER COLUMN amount TYPE bigint",
    );
    assert!(lint.message.contains("`amount`") && lint.message.contains("`orders`"));
    assert!(lint.message.contains("BIGINT"), "{}", lint.message);
}

#[test]
fn a_type_change_on_a_new_table_is_silent() {
    let sql = "ALTER TABLE orders ALTER COLUMN amount TYPE bigint";
    assert_eq!(rules_in(Postgres, &created(&["orders"]), sql), []);
    assert_eq!(
        rules_in(
            MySql,
            &created(&["orders"]),
            "ALTER TABLE orders MODIFY amount BIGINT"
        ),
        []
    );
}

#[test]
fn mysql_modify_and_change_column_fire() {
    assert_eq!(
        mysql("ALTER TABLE orders MODIFY COLUMN amount BIGINT NOT NULL"),
        [Rule::ColumnTypeChange]
    );
    assert_eq!(
        mysql("ALTER TABLE orders CHANGE amount amount BIGINT"),
        [Rule::ColumnTypeChange]
    );
    // Another name is a rename as well.
    assert_eq!(
        mysql("ALTER TABLE orders CHANGE COLUMN amount total BIGINT"),
        [Rule::ColumnTypeChange, Rule::RenameColumn]
    );
}

#[test]
fn other_column_changes_are_silent() {
    assert_eq!(
        postgres(
            "ALTER TABLE orders ALTER COLUMN amount SET DEFAULT 0;
             ALTER TABLE orders ALTER COLUMN amount DROP NOT NULL;"
        ),
        []
    );
}
