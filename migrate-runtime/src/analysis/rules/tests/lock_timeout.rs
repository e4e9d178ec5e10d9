use super::*;

/// The rules that fire on `sql`, one file run as `transaction`, nothing set before.
fn bare(dialect: Dialect, transaction: Transaction, sql: &str) -> Vec<Rule> {
    lint_file(sql, dialect, transaction, &NOTHING)
        .into_iter()
        .map(|lint| lint.rule)
        .collect()
}

const ALTER: &str = "ALTER TABLE orders ADD COLUMN note text;";

#[test]
fn locking_ddl_without_a_timeout_fires_once_per_file() {
    assert_eq!(
        bare(Postgres, Transaction::One, ALTER),
        [Rule::MissingLockTimeout]
    );
    let twice = format!("{ALTER}\nALTER TABLE orders ADD COLUMN other text;");
    assert_eq!(
        bare(Postgres, Transaction::One, &twice),
        [Rule::MissingLockTimeout]
    );
    let lint = lint_file(ALTER, Postgres, Transaction::One, &NOTHING).remove(0);
    assert!(lint.message.contains("`orders`"), "{}", lint.message);
    assert!(lint.fix.contains("SET LOCAL lock_timeout"), "{}", lint.fix);
}

#[test]
fn each_locking_statement_counts() {
    for sql in [
        "CREATE INDEX orders_customer ON orders (customer_id)",
        "DROP TABLE orders",
        "TRUNCATE orders",
        "ALTER TABLE orders RENAME TO purchases",
        "CREATE TABLE notes (order_id bigint REFERENCES orders (id))",
        "CREATE TABLE notes (order_id bigint, FOREIGN KEY (order_id) REFERENCES orders (id))",
    ] {
        let rules = bare(Postgres, Transaction::One, sql);
        assert!(
            rules.contains(&Rule::MissingLockTimeout),
            "{sql}: {rules:?}"
        );
    }
    let drop_index = bare(Postgres, Transaction::None, "DROP INDEX orders_customer");
    assert!(
        drop_index.contains(&Rule::MissingLockTimeout),
        "{drop_index:?}"
    );
}

#[test]
fn a_timeout_set_before_silences_it() {
    for sql in [
        "SET lock_timeout = '5s';",
        "SET LOCAL lock_timeout TO '5s';",
        "SET SESSION lock_timeout = 5000;",
    ] {
        let sql = format!("{sql}\n{ALTER}");
        assert_eq!(bare(Postgres, Transaction::One, &sql), [], "{sql}");
    }
}

#[test]
fn a_timeout_set_after_or_taken_away_does_not_count() {
    for sql in [
        format!("{ALTER}\nSET lock_timeout = '5s';"),
        format!("SET lock_timeout = 0;\n{ALTER}"),
        format!("SET lock_timeout = '0ms';\n{ALTER}"),
        format!("SET lock_timeout = '5s';\nSET lock_timeout TO DEFAULT;\n{ALTER}"),
        format!("SET lock_timeout = '5s';\nRESET lock_timeout;\n{ALTER}"),
        format!("SET lock_timeout = '5s';\nRESET ALL;\n{ALTER}"),
        format!("SET statement_timeout = '5s';\n{ALTER}"),
    ] {
        assert_eq!(
            bare(Postgres, Transaction::One, &sql),
            [Rule::MissingLockTimeout],
            "{sql}"
        );
    }
}

#[test]
fn set_local_holds_only_inside_a_transaction() {
    let local = format!("SET LOCAL lock_timeout = '5s';\n{ALTER}");
    assert_eq!(
        bare(Postgres, Transaction::None, &local),
        [Rule::MissingLockTimeout]
    );
    let fix = &lint_file(&local, Postgres, Transaction::None, &NOTHING)[0].fix;
    assert!(
        fix.contains("SET lock_timeout") && fix.contains("RESET"),
        "{fix}"
    );
    let begun = format!("BEGIN;\nSET LOCAL lock_timeout = '5s';\n{ALTER}\nCOMMIT;");
    assert_eq!(bare(Postgres, Transaction::None, &begun), []);
    let after_commit = format!("{begun}\n{ALTER}");
    assert_eq!(
        bare(Postgres, Transaction::None, &after_commit),
        [Rule::MissingLockTimeout]
    );
    let session = format!("SET lock_timeout = '5s';\n{ALTER}");
    assert_eq!(bare(Postgres, Transaction::None, &session), []);
}

#[test]
fn what_does_not_lock_an_existing_table_is_silent() {
    for sql in [
        "CREATE INDEX CONCURRENTLY orders_customer ON orders (customer_id)",
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_customer_fk",
        "CREATE TABLE notes (id bigint PRIMARY KEY, body text)",
        "UPDATE orders SET note = '' WHERE id = 1",
    ] {
        let rules = bare(Postgres, Transaction::One, sql);
        assert!(
            !rules.contains(&Rule::MissingLockTimeout),
            "{sql}: {rules:?}"
        );
    }
    let created = created(&["orders", "notes"]);
    let sql = "ALTER TABLE orders ADD COLUMN note text;
               CREATE TABLE notes (order_id bigint REFERENCES orders (id));
               ALTER TABLE notes ADD FOREIGN KEY (order_id) REFERENCES orders (id);";
    assert_eq!(
        lint_file(sql, Postgres, Transaction::One, &created).len(),
        0
    );
}

#[test]
fn a_foreign_key_from_a_new_table_to_an_existing_one_counts() {
    let created = created(&["notes"]);
    let sql = "ALTER TABLE notes ADD FOREIGN KEY (order_id) REFERENCES orders (id)";
    let lints = lint_file(sql, Postgres, Transaction::One, &created);
    assert_eq!(lints.len(), 1, "{lints:?}");
    assert_eq!(lints[0].rule, Rule::MissingLockTimeout);
    assert!(
        lints[0].message.contains("`orders`"),
        "{}",
        lints[0].message
    );
}

#[test]
fn each_file_needs_its_own_timeout() {
    let mut linter = Linter::new(Postgres);
    let mut rules = Vec::new();
    for sql in [
        format!("SET lock_timeout = '5s';\n{ALTER}"),
        ALTER.to_owned(),
    ] {
        linter.begin_file(Transaction::One);
        let file: Vec<Rule> = parse(&sql, Postgres)
            .iter()
            .flat_map(|statement| linter.check(statement, &NOTHING))
            .map(|lint| lint.rule)
            .collect();
        rules.push(file);
    }
    assert_eq!(rules, [vec![], vec![Rule::MissingLockTimeout]]);
}

#[test]
fn mysql_uses_lock_wait_timeout() {
    assert_eq!(
        bare(MySql, Transaction::One, ALTER),
        [Rule::MissingLockTimeout]
    );
    let fix = &lint_file(ALTER, MySql, Transaction::One, &NOTHING)[0].fix;
    assert!(fix.contains("lock_wait_timeout"), "{fix}");
    for set in [
        "SET lock_wait_timeout = 5;",
        "SET SESSION lock_wait_timeout = 5;",
        "SET @@session.lock_wait_timeout = 5;",
        "SET @@lock_wait_timeout = 5;",
        "SET lock_wait_timeout = 5, sql_mode = '';",
    ] {
        let sql = format!("{set}\n{ALTER}");
        assert_eq!(bare(MySql, Transaction::One, &sql), [], "{sql}");
    }
    for set in [
        "SET GLOBAL lock_wait_timeout = 5;",
        "SET @@global.lock_wait_timeout = 5;",
        "SET innodb_lock_wait_timeout = 5;",
        "SET lock_timeout = '5s';",
    ] {
        let sql = format!("{set}\n{ALTER}");
        assert_eq!(
            bare(MySql, Transaction::One, &sql),
            [Rule::MissingLockTimeout],
            "{sql}"
        );
    }
}

#[test]
fn sqlite_has_no_lock_timeout_rule() {
    assert_eq!(bare(Sqlite, Transaction::One, ALTER), []);
}
