//! MySQL and MariaDB test databases. There are no templates: each database is migrated.

use sqlx::{AssertSqlSafe, Connection, MySqlConnection, MySqlPool};

use super::config::{
    admin_url_from_env, redact, unique_name, with_database, DEFAULT_MYSQL_URL, MYSQL_URL_VARIABLE,
};
use super::database::{Cleanup, Target, TestDatabase, TestDatabaseBuilder};
use super::TestError;

fn admin_url(builder: &TestDatabaseBuilder) -> String {
    builder.admin_url.clone().unwrap_or_else(|| {
        admin_url_from_env(MYSQL_URL_VARIABLE, &["mysql", "mariadb"], DEFAULT_MYSQL_URL)
    })
}

async fn connect_admin(admin_url: &str) -> Result<MySqlConnection, TestError> {
    MySqlConnection::connect(admin_url)
        .await
        .map_err(|error| TestError::Unreachable {
            backend: "MySQL",
            url: redact(admin_url),
            variable: MYSQL_URL_VARIABLE,
            error,
        })
}

/// `name` as a quoted identifier (names are made by this module; doubling is a safeguard).
fn ident(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

pub(crate) async fn create(
    builder: &TestDatabaseBuilder,
) -> Result<TestDatabase<sqlx::MySql>, TestError> {
    let admin_url = admin_url(builder);
    let mut admin = connect_admin(&admin_url).await?;
    let name = unique_name("migrate_test");
    let created = sqlx::raw_sql(AssertSqlSafe(format!("CREATE DATABASE {}", ident(&name))))
        .execute(&mut admin)
        .await;
    let _ = admin.close().await;
    created.map_err(TestError::db(format!("creating test database `{name}`")))?;
    let cleanup = Cleanup::new(Target::MySql {
        admin_url: admin_url.clone(),
        name: name.clone(),
    });
    let url = with_database(&admin_url, &name);
    let pool = MySqlPool::connect(&url)
        .await
        .map_err(TestError::db(format!(
            "connecting to test database `{name}`"
        )))?;
    if builder.migrated {
        builder.migrator.run(&pool).await?;
    }
    Ok(TestDatabase::new(pool, url, name, None, cleanup))
}

/// Ends every other connection to the database (one left in a transaction by a panicking
/// test would hold metadata locks that `DROP DATABASE` waits for), then drops it.
pub(crate) async fn drop_database(admin_url: &str, name: &str) -> Result<(), TestError> {
    let mut admin = connect_admin(admin_url).await?;
    let result = async {
        let sessions: Vec<u64> = sqlx::query_scalar(
            "SELECT CAST(ID AS UNSIGNED) FROM information_schema.PROCESSLIST \
             WHERE DB = ? AND ID <> CONNECTION_ID()",
        )
        .bind(name)
        .fetch_all(&mut admin)
        .await
        .map_err(TestError::db("listing connections to a test database"))?;
        for id in sessions {
            // It may have ended meanwhile ("Unknown thread id"): nothing to do then.
            let _ = sqlx::raw_sql(AssertSqlSafe(format!("KILL CONNECTION {id}")))
                .execute(&mut admin)
                .await;
        }
        sqlx::raw_sql(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS {}",
            ident(name)
        )))
        .execute(&mut admin)
        .await
        .map_err(TestError::db(format!("dropping test database `{name}`")))?;
        Ok(())
    }
    .await;
    let _ = admin.close().await;
    result
}
