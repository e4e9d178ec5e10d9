//! PostgreSQL test databases: migrate once into a template, then `CREATE DATABASE … TEMPLATE`.
//!
//! The template is built under a temporary name and published by renaming it, under a
//! server-wide advisory lock, so concurrent test threads and processes build it once and never
//! see it half-migrated. It does not accept connections (`ALLOW_CONNECTIONS false`), since
//! `CREATE DATABASE … TEMPLATE` fails while anyone is connected to the template.

use std::time::{Duration, Instant};

use sqlx::{AssertSqlSafe, Connection, PgConnection, PgPool};

use super::config::{
    admin_url_from_env, redact, unique_name, with_database, DEFAULT_POSTGRES_URL,
    POSTGRES_URL_VARIABLE,
};
use super::database::{Cleanup, Target, TestDatabase, TestDatabaseBuilder};
use super::template::template_name;
use super::TestError;
use crate::Migrator;

/// How long to wait for another process that builds the same template.
const TEMPLATE_LOCK_TIMEOUT: Duration = Duration::from_secs(600);

fn admin_url(builder: &TestDatabaseBuilder) -> String {
    builder.admin_url.clone().unwrap_or_else(|| {
        admin_url_from_env(
            POSTGRES_URL_VARIABLE,
            &["postgres", "postgresql"],
            DEFAULT_POSTGRES_URL,
        )
    })
}

async fn connect_admin(admin_url: &str) -> Result<PgConnection, TestError> {
    PgConnection::connect(admin_url)
        .await
        .map_err(|error| TestError::Unreachable {
            backend: "PostgreSQL",
            url: redact(admin_url),
            variable: POSTGRES_URL_VARIABLE,
            error,
        })
}

/// `name` as a quoted identifier. Names here are made by this module (letters, digits, `_`),
/// so doubling quotes is only a safeguard.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

async fn execute(conn: &mut PgConnection, sql: String, context: &str) -> Result<(), TestError> {
    sqlx::raw_sql(AssertSqlSafe(sql))
        .execute(&mut *conn)
        .await
        .map_err(TestError::db(context))?;
    Ok(())
}

pub(crate) async fn create(
    builder: &TestDatabaseBuilder,
) -> Result<TestDatabase<sqlx::Postgres>, TestError> {
    let admin_url = admin_url(builder);
    let mut admin = connect_admin(&admin_url).await?;
    let template = if builder.template && builder.migrated {
        Some(ensure_template(&mut admin, &admin_url, &builder.migrator).await?)
    } else {
        None
    };
    let name = unique_name("migrate_test");
    let sql = match &template {
        Some(template) => format!(
            "CREATE DATABASE {} TEMPLATE {}",
            ident(&name),
            ident(template)
        ),
        None => format!("CREATE DATABASE {}", ident(&name)),
    };
    execute(&mut admin, sql, &format!("creating test database `{name}`")).await?;
    let _ = admin.close().await;
    // From here on, an error drops the new database with `cleanup`.
    let cleanup = Cleanup::new(Target::Postgres {
        admin_url: admin_url.clone(),
        name: name.clone(),
    });
    let url = with_database(&admin_url, &name);
    let pool = PgPool::connect(&url).await.map_err(TestError::db(format!(
        "connecting to test database `{name}`"
    )))?;
    if builder.migrated && template.is_none() {
        builder.migrator.run(&pool).await?;
    }
    Ok(TestDatabase::new(pool, url, name, template, cleanup))
}

pub(crate) async fn drop_database(admin_url: &str, name: &str) -> Result<(), TestError> {
    let mut admin = connect_admin(admin_url).await?;
    let result = execute(
        &mut admin,
        format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", ident(name)),
        &format!("dropping test database `{name}`"),
    )
    .await;
    let _ = admin.close().await;
    result
}

async fn database_exists(conn: &mut PgConnection, name: &str) -> Result<bool, TestError> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&mut *conn)
        .await
        .map_err(TestError::db("looking up a template database"))
}

/// The template for `migrator`'s migrations, built now if no process has built it yet.
async fn ensure_template(
    admin: &mut PgConnection,
    admin_url: &str,
    migrator: &Migrator,
) -> Result<String, TestError> {
    let template = template_name(migrator);
    if database_exists(admin, &template).await? {
        return Ok(template);
    }
    let key = lock_key(&template);
    lock(admin, key, &template).await?;
    let built = build_template(admin, admin_url, migrator, &template).await;
    let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(key)
        .execute(&mut *admin)
        .await;
    built?;
    unlocked.map_err(TestError::db("releasing the template lock"))?;
    Ok(template)
}

/// The advisory lock key for building `template`: the first 8 bytes of its SHA-256.
fn lock_key(template: &str) -> i64 {
    let digest = crate::checksum(format!("migrate-testing-template:{template}").as_bytes());
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(bytes)
}

/// Polls `pg_try_advisory_lock` (a blocking `pg_advisory_lock` would wait inside one
/// statement, with no deadline).
async fn lock(admin: &mut PgConnection, key: i64, template: &str) -> Result<(), TestError> {
    let started = Instant::now();
    let mut delay = Duration::from_millis(10);
    loop {
        let taken: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut *admin)
            .await
            .map_err(TestError::db("taking the template lock"))?;
        if taken {
            return Ok(());
        }
        if started.elapsed() >= TEMPLATE_LOCK_TIMEOUT {
            return Err(TestError::TemplateLockTimeout {
                template: template.to_owned(),
                waited: started.elapsed(),
            });
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_millis(200));
    }
}

/// Under the lock: migrates a database with a temporary name, closes every connection to it,
/// forbids new ones, and renames it to `template`. Renaming is the last step, so a template
/// that exists is complete.
async fn build_template(
    admin: &mut PgConnection,
    admin_url: &str,
    migrator: &Migrator,
    template: &str,
) -> Result<(), TestError> {
    if database_exists(admin, template).await? {
        return Ok(());
    }
    let build = unique_name(&format!("{template}_b"));
    execute(
        admin,
        format!("CREATE DATABASE {}", ident(&build)),
        "creating a template database",
    )
    .await?;
    let migrated = migrate_template(&with_database(admin_url, &build), migrator).await;
    let published = match migrated {
        Ok(()) => publish(admin, &build, template, migrator).await,
        Err(error) => Err(error),
    };
    if published.is_err() {
        let _ = drop_unpublished(admin, &build).await;
    }
    published
}

/// Drops a template database that was not published (it may already be marked a template,
/// which `DROP DATABASE` refuses).
async fn drop_unpublished(admin: &mut PgConnection, build: &str) -> Result<(), TestError> {
    let _ = execute(
        admin,
        format!("ALTER DATABASE {} IS_TEMPLATE false", ident(build)),
        "unmarking a template database",
    )
    .await;
    execute(
        admin,
        format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", ident(build)),
        "dropping an unpublished template database",
    )
    .await
}

async fn migrate_template(url: &str, migrator: &Migrator) -> Result<(), TestError> {
    let pool = PgPool::connect(url)
        .await
        .map_err(TestError::db("connecting to a new template database"))?;
    let migrated = migrator.run(&pool).await;
    // Every connection must be gone before the rename and before any copy.
    pool.close().await;
    migrated?;
    Ok(())
}

async fn publish(
    admin: &mut PgConnection,
    build: &str,
    template: &str,
    migrator: &Migrator,
) -> Result<(), TestError> {
    let comment = format!(
        "migrate::testing template: {} migrations from `{}`, history table {}",
        migrator.migrations().len(),
        migrator.migrations().source(),
        migrator.table()
    );
    execute(
        admin,
        format!(
            "COMMENT ON DATABASE {} IS '{}'",
            ident(build),
            comment.replace('\'', "''")
        ),
        "describing a template database",
    )
    .await?;
    execute(
        admin,
        format!(
            "ALTER DATABASE {} WITH ALLOW_CONNECTIONS false IS_TEMPLATE true",
            ident(build)
        ),
        "making a database a template",
    )
    .await?;
    let renamed = sqlx::raw_sql(AssertSqlSafe(format!(
        "ALTER DATABASE {} RENAME TO {}",
        ident(build),
        ident(template)
    )))
    .execute(&mut *admin)
    .await;
    match renamed {
        Ok(_) => Ok(()),
        // 42P04 duplicate_database: a process that locks through another admin database
        // published the same template first; it is identical, so use it.
        Err(error)
            if error
                .as_database_error()
                .is_some_and(|db| db.code().as_deref() == Some("42P04")) =>
        {
            drop_unpublished(admin, build).await
        }
        Err(error) => Err(TestError::db("publishing a template database")(error)),
    }
}
