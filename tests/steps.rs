//! Files run statement by statement (every MySQL migration, PostgreSQL `no-transaction`
//! files): consecutive data statements run as a group in one transaction with their
//! progress; a failing group is rolled back and run again one statement at a time, so the
//! error names the statement and the history records exactly the statements applied; and a
//! file that opens its own transactions keeps them.

use migrate::Error;
use migrate_tests::fixtures::{
    group_failing_mysql, group_failing_pg, mysql_compound, own_transaction_pg,
};
use migrate_tests::{Server, ServerDatabase};

/// The failure of the duplicate INSERT: its line, and the history row's progress.
fn assert_failed_at(error: &Error, line: usize) {
    match error {
        Error::Migration {
            version: 1,
            location: Some(location),
            rolled_back: false,
            ..
        } => {
            assert_eq!(location.line, line, "{error}");
            assert_eq!(
                location.statement,
                Some((5, "INSERT INTO g (id) VALUES (2)".to_owned()))
            );
        }
        other => panic!("expected a located migration error, got {other:?}"),
    }
}

/// Checks, on `$pool`, that the rows before the duplicate were applied once and that the
/// history records the table and the three INSERTs before it.
macro_rules! assert_applied_before_the_failure {
    ($pool:expr) => {{
        let pool = $pool;
        let ids: Vec<i32> = sqlx::query_scalar("SELECT id FROM g ORDER BY id")
            .fetch_all(pool)
            .await
            .expect("rows");
        assert_eq!(ids, [1, 2, 3], "the statements before it applied once");
        let (success, applied): (bool, i64) =
            sqlx::query_as("SELECT success, statements_applied FROM _migrate_history")
                .fetch_one(pool)
                .await
                .expect("history");
        assert_eq!(
            (success, applied),
            (false, 4),
            "the table and three INSERTs"
        );
    }};
}

#[tokio::test]
async fn a_failing_group_on_mariadb_names_its_statement_and_keeps_the_ones_before() {
    let Some(db) = ServerDatabase::create_on(Server::MySql).await else {
        return;
    };
    let pool = db.mysql_pool().await;
    let error = group_failing_mysql::migrations::run(&pool)
        .await
        .expect_err("the duplicate fails");
    assert_failed_at(&error, 5);
    assert_applied_before_the_failure!(&pool);
}

#[tokio::test]
async fn a_failing_group_on_postgres_names_its_statement_and_keeps_the_ones_before() {
    let Some(db) = ServerDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    let error = group_failing_pg::migrations::run(&pool)
        .await
        .expect_err("the duplicate fails");
    assert_failed_at(&error, 6);
    assert_applied_before_the_failure!(&pool);
}

#[tokio::test]
async fn a_no_transaction_file_keeps_its_own_transactions_on_postgres() {
    let Some(db) = ServerDatabase::create().await else {
        return;
    };
    let pool = db.pool().await;
    let error = own_transaction_pg::migrations::run(&pool)
        .await
        .expect_err("the second transaction fails");
    match &error {
        Error::Migration {
            location: Some(location),
            ..
        } => assert_eq!(location.line, 9, "{error}"),
        other => panic!("expected a located migration error, got {other:?}"),
    }
    let ids: Vec<i32> = sqlx::query_scalar("SELECT id FROM own ORDER BY id")
        .fetch_all(&pool)
        .await
        .expect("rows");
    assert_eq!(
        ids,
        [1, 2],
        "the first transaction committed; the second, whose INSERT of 3 ran before the duplicate, did not"
    );
}

#[tokio::test]
async fn compound_statements_run_in_the_message_of_their_step_on_mariadb() {
    let Some(db) = ServerDatabase::create_on(Server::MySql).await else {
        return;
    };
    let pool = db.mysql_pool().await;
    mysql_compound::migrations::run(&pool)
        .await
        .expect("the trigger, the procedure and the rows");
    let logged: Vec<i32> = sqlx::query_scalar("SELECT id FROM audit_log ORDER BY id")
        .fetch_all(&pool)
        .await
        .expect("log");
    assert_eq!(
        logged,
        [1, 2, 3, 1001, 1002, 1003],
        "the trigger fired for each row once"
    );
}
