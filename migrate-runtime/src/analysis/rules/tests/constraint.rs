use super::*;

#[test]
fn a_foreign_key_without_not_valid_fires() {
    let sql = "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk \
               FOREIGN KEY (customer_id) REFERENCES customers (id)";
    assert_eq!(postgres(sql), [Rule::ForeignKeyWithoutNotValid]);
    let lint = only_lint(Postgres, sql);
    assert!(
        lint.message.contains("`orders_customer_fk`"),
        "{}",
        lint.message
    );
    assert!(lint.message.contains("`orders`") && lint.message.contains("`customers`"));
    assert!(lint.fix.contains("NOT VALID") && lint.fix.contains("VALIDATE CONSTRAINT"));
}

#[test]
fn a_foreign_key_not_valid_and_its_validation_are_silent() {
    assert_eq!(
        postgres(
            "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk \
             FOREIGN KEY (customer_id) REFERENCES customers (id) NOT VALID;
             ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk;"
        ),
        []
    );
}

#[test]
fn a_new_column_with_references_fires() {
    let sql = "ALTER TABLE orders ADD COLUMN customer_id bigint REFERENCES customers (id)";
    assert_eq!(postgres(sql), [Rule::ForeignKeyWithoutNotValid]);
    assert!(only_lint(Postgres, sql).message.contains("`customer_id`"));
}

#[test]
fn a_foreign_key_on_a_new_table_is_silent() {
    let sql = "ALTER TABLE orders ADD FOREIGN KEY (customer_id) REFERENCES customers (id)";
    assert_eq!(rules_in(Postgres, &created(&["orders"]), sql), []);
}

#[test]
fn a_check_without_not_valid_fires() {
    assert_eq!(
        postgres("ALTER TABLE orders ADD CONSTRAINT positive CHECK (amount > 0)"),
        [Rule::CheckWithoutNotValid]
    );
    assert_eq!(
        postgres("ALTER TABLE orders ADD CHECK (amount > 0)"),
        [Rule::CheckWithoutNotValid]
    );
    assert_eq!(
        postgres("ALTER TABLE orders ADD COLUMN amount int CHECK (amount > 0)"),
        [Rule::CheckWithoutNotValid]
    );
}

#[test]
fn a_check_not_valid_is_silent() {
    assert_eq!(
        postgres("ALTER TABLE orders ADD CONSTRAINT positive CHECK (amount > 0) NOT VALID"),
        []
    );
    let sql = "ALTER TABLE orders ADD CONSTRAINT positive CHECK (amount > 0)";
    assert_eq!(rules_in(Postgres, &created(&["orders"]), sql), []);
}

#[test]
fn unique_and_primary_key_without_an_index_fire() {
    assert_eq!(
        postgres("ALTER TABLE users ADD CONSTRAINT users_email UNIQUE (email)"),
        [Rule::UniqueWithoutIndex]
    );
    assert_eq!(
        postgres("ALTER TABLE users ADD PRIMARY KEY (id)"),
        [Rule::UniqueWithoutIndex]
    );
    assert_eq!(
        postgres("ALTER TABLE users ADD COLUMN code text UNIQUE"),
        [Rule::UniqueWithoutIndex]
    );
    let lint = only_lint(Postgres, "ALTER TABLE users ADD UNIQUE (email)");
    assert!(
        lint.fix.contains("CREATE UNIQUE INDEX CONCURRENTLY"),
        "{}",
        lint.fix
    );
    assert!(lint.fix.contains("USING INDEX"), "{}", lint.fix);
}

#[test]
fn unique_and_primary_key_using_an_index_are_silent() {
    assert_eq!(
        postgres(
            "ALTER TABLE users ADD CONSTRAINT users_email UNIQUE USING INDEX users_email;
             ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY USING INDEX users_id;"
        ),
        []
    );
    let sql = "ALTER TABLE users ADD UNIQUE (email)";
    assert_eq!(rules_in(Postgres, &created(&["users"]), sql), []);
}

#[test]
fn not_valid_and_lock_levels_are_postgres_only() {
    let sql = "ALTER TABLE orders ADD CONSTRAINT orders_customer_fk \
               FOREIGN KEY (customer_id) REFERENCES customers (id);
               ALTER TABLE orders ADD CHECK (amount > 0);
               ALTER TABLE users ADD UNIQUE (email);";
    assert_eq!(mysql(sql), []);
}
