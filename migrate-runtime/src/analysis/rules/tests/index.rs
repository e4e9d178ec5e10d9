use super::*;

#[test]
fn a_plain_index_on_an_existing_table_fires() {
    assert_eq!(
        postgres("CREATE INDEX orders_customer ON orders (customer_id)"),
        [Rule::IndexWithoutConcurrently]
    );
    assert_eq!(
        postgres("CREATE UNIQUE INDEX IF NOT EXISTS users_email ON app.users (email)"),
        [Rule::IndexWithoutConcurrently]
    );
    let lint = only_lint(
        Postgres,
        "CREATE INDEX orders_customer ON orders (customer_id)",
    );
    assert!(lint.message.contains("`orders`"), "{}", lint.message);
    assert!(
        lint.fix.contains("CREATE INDEX CONCURRENTLY"),
        "{}",
        lint.fix
    );
    assert!(
        lint.fix.contains("-- migrate:no-transaction"),
        "{}",
        lint.fix
    );
}

#[test]
fn a_concurrent_index_is_silent() {
    assert_eq!(
        postgres("CREATE INDEX CONCURRENTLY orders_customer ON orders (customer_id)"),
        []
    );
}

#[test]
fn an_index_on_a_table_of_the_same_migration_is_silent() {
    let sql = "CREATE INDEX orders_customer ON orders (customer_id)";
    assert_eq!(rules_in(Postgres, &created(&["orders"]), sql), []);
}

#[test]
fn indexes_are_online_in_mysql_and_sqlite_has_no_concurrently() {
    assert_eq!(
        mysql("CREATE INDEX orders_customer ON orders (customer_id)"),
        []
    );
    assert_eq!(
        sqlite("CREATE INDEX orders_customer ON orders (customer_id)"),
        []
    );
}

#[test]
fn a_plain_drop_index_fires() {
    assert_eq!(
        postgres("DROP INDEX IF EXISTS orders_customer"),
        [Rule::DropIndexWithoutConcurrently]
    );
    let lint = only_lint(Postgres, "DROP INDEX orders_customer");
    assert!(
        lint.message.contains("`orders_customer`"),
        "{}",
        lint.message
    );
    assert!(lint.fix.contains("DROP INDEX CONCURRENTLY"), "{}", lint.fix);
}

#[test]
fn a_concurrent_drop_index_is_silent_though_opaque() {
    let sql = "DROP INDEX CONCURRENTLY IF EXISTS orders_customer";
    assert_opaque(Postgres, sql);
    assert_eq!(postgres(sql), []);
}

#[test]
fn dropping_an_index_of_a_new_table_is_silent() {
    let created = Created {
        tables: &["orders"],
        indexes: &["orders_customer"],
    };
    assert_eq!(
        rules_in(Postgres, &created, "DROP INDEX orders_customer"),
        []
    );
    assert_eq!(
        rules_in(
            Postgres,
            &created,
            "DROP INDEX orders_customer, users_email"
        ),
        [Rule::DropIndexWithoutConcurrently]
    );
}

#[test]
fn drop_index_in_mysql_is_silent() {
    assert_eq!(mysql("DROP INDEX orders_customer ON orders"), []);
}
