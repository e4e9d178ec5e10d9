//! PostgreSQL errors that come without a position (a missing relation, "already exists", a
//! unique violation, a statement that refuses to run in a transaction) still name the file,
//! the line and the statement: after the rollback the file is replayed statement by
//! statement in a transaction that is rolled back too. Nothing of the migration stays.
//!
//! Each test creates its own database and drops it. Without a reachable server the tests
//! print why and return, except when `CI` is set.

use migrate::Error;
use migrate_tests::fixtures::{
    concurrently_in_transaction, pg_unlocated_duplicate, pg_unlocated_missing, pg_unlocated_unique,
    unlocated_down,
};
use migrate_tests::{pg_relation_exists, PgDatabase};
use sqlx::PgPool;

async fn history(pool: &PgPool) -> Vec<(i64, String, bool)> {
    sqlx::query_as("SELECT version, name, success FROM _migrate_history ORDER BY version")
        .fetch_all(pool)
        .await
        .expect("read the history")
}

async fn customers(pool: &PgPool) -> Vec<(i64, String)> {
    sqlx::query_as("SELECT id, email FROM customers ORDER BY id")
        .fetch_all(pool)
        .await
        .expect("read the customers")
}

/// What an `Error::Migration` must say: where, which statement, and the database's words.
struct Expected<'a> {
    version: i64,
    file: &'a str,
    message: &'a str,
    line: usize,
    column: usize,
    statement: (usize, &'a str),
}

fn assert_located(error: &Error, expected: &Expected<'_>) {
    let Error::Migration {
        version,
        file,
        message,
        location,
        rolled_back,
        ..
    } = error
    else {
        panic!("expected Error::Migration, got {error:?}");
    };
    assert_eq!(
        (*version, file.as_str(), *rolled_back),
        (expected.version, expected.file, true),
        "{error}"
    );
    assert!(message.contains(expected.message), "{message}");
    let location = location
        .as_ref()
        .unwrap_or_else(|| panic!("no location in {error}"));
    assert_eq!(
        (location.line, location.column),
        (expected.line, expected.column),
        "{error}"
    );
    assert_eq!(
        location.statement,
        Some((expected.statement.0, expected.statement.1.to_owned())),
        "{error}"
    );
    let text = error.to_string();
    let at = format!(
        "failed at {}:{}:{}",
        expected.file, expected.line, expected.column
    );
    assert!(text.contains(&at), "{text}");
    assert!(
        text.contains(&format!(
            "in statement {}: {}",
            expected.statement.0, expected.statement.1
        )),
        "{text}"
    );
}

/// Nothing of 0002 stays: its tables, its view, its history row; 0001 stays applied.
async fn assert_only_the_first_applied(pool: &PgPool) {
    for relation in ["orders", "order_lines", "order_totals", "orders_customer"] {
        assert!(
            !pg_relation_exists(pool, relation).await,
            "{relation} was rolled back"
        );
    }
    assert_eq!(history(pool).await, [(1, "customers".to_owned(), true)]);
    assert_eq!(customers(pool).await, [(1, "ada@example.com".to_owned())]);
}

#[tokio::test]
async fn a_missing_table_is_located_though_postgres_gives_no_position() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    let error = pg_unlocated_missing::migrations::run(&pool)
        .await
        .expect_err("0002 fails");
    assert_located(
        &error,
        &Expected {
            version: 2,
            file: "0002_orders.sql",
            message: "relation \"order_linez\" does not exist",
            line: 39,
            column: 1,
            statement: (10, "CREATE INDEX order_lines_sku ON order_linez (sku)"),
        },
    );
    assert!(
        !error.to_string().contains("no-transaction"),
        "no hint for an error a transaction does not cause: {error}"
    );
    assert_only_the_first_applied(&pool).await;

    // The replay left nothing behind either: the next run fails the same way.
    let again = pg_unlocated_missing::migrations::run(&pool)
        .await
        .expect_err("fails again");
    assert_eq!(again.to_string(), error.to_string());
    assert_only_the_first_applied(&pool).await;
}

#[tokio::test]
async fn a_table_that_already_exists_is_located() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    let error = pg_unlocated_duplicate::migrations::run(&pool)
        .await
        .expect_err("0002 fails");
    assert_located(
        &error,
        &Expected {
            version: 2,
            file: "0002_orders.sql",
            message: "relation \"customers\" already exists",
            line: 39,
            column: 1,
            statement: (10, "CREATE TABLE customers (id BIGINT PRIMARY KEY)"),
        },
    );
    assert_only_the_first_applied(&pool).await;
}

#[tokio::test]
async fn a_unique_violation_is_located() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    let error = pg_unlocated_unique::migrations::run(&pool)
        .await
        .expect_err("0002 fails");
    assert_located(
        &error,
        &Expected {
            version: 2,
            file: "0002_orders.sql",
            message: "duplicate key value violates unique constraint \"customers_email_key\"",
            line: 39,
            column: 1,
            statement: (
                10,
                "INSERT INTO customers (id, email) VALUES (2, 'ada@example.com')",
            ),
        },
    );
    assert_only_the_first_applied(&pool).await;
}

#[tokio::test]
async fn a_failing_down_script_is_located_and_rolled_back() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    unlocated_down::migrations::run(&pool)
        .await
        .expect("0001 applies");
    let error = unlocated_down::migrations::migrator()
        .revert_all(&pool)
        .await
        .expect_err("the down script fails");
    assert_located(
        &error,
        &Expected {
            version: 1,
            file: "0001_customers.down.sql",
            message: "column \"nickname\" of relation \"customers\" does not exist",
            line: 8,
            column: 1,
            statement: (3, "ALTER TABLE customers DROP COLUMN nickname"),
        },
    );
    // The statements before it were rolled back, and so was the replay.
    assert!(pg_relation_exists(&pool, "customer_notes").await);
    assert!(pg_relation_exists(&pool, "customer_notes_customer").await);
    assert_eq!(history(&pool).await, [(1, "customers".to_owned(), true)]);
}

#[tokio::test]
async fn a_statement_that_refuses_a_transaction_is_located_with_the_directive_to_add() {
    let Some(db) = PgDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    let error = concurrently_in_transaction::migrations::run(&pool)
        .await
        .expect_err("0002 fails");
    assert_located(
        &error,
        &Expected {
            version: 2,
            file: "0002_email_domain.sql",
            message: "CREATE INDEX CONCURRENTLY cannot run inside a transaction block",
            line: 2,
            column: 1,
            statement: (
                1,
                "CREATE INDEX CONCURRENTLY customers_email_domain ON customers (split_part(email, '@', 2))",
            ),
        },
    );
    let text = error.to_string();
    assert!(
        text.contains(
            "add `-- migrate:no-transaction` as the first line of `0002_email_domain.sql`"
        ),
        "{text}"
    );
    assert!(!pg_relation_exists(&pool, "customers_email_domain").await);
    assert_eq!(history(&pool).await, [(1, "customers".to_owned(), true)]);
}
