//! SQLite test databases: a file in a directory of its own, copied from a template file that
//! is migrated once per set of migrations and published by an atomic rename.

use std::path::{Path, PathBuf};

use sqlx::sqlite::SqliteConnectOptions;
use sqlx::SqlitePool;

use super::config::{unique_name, SQLITE_DIR_VARIABLE};
use super::database::{Cleanup, Target, TestDatabase, TestDatabaseBuilder};
use super::template::template_name;
use super::TestError;
use crate::Migrator;

fn base_dir(builder: &TestDatabaseBuilder) -> PathBuf {
    builder.sqlite_dir.clone().unwrap_or_else(|| {
        std::env::var_os(SQLITE_DIR_VARIABLE)
            .filter(|dir| !dir.is_empty())
            .map_or_else(std::env::temp_dir, PathBuf::from)
    })
}

async fn open(path: &Path) -> Result<SqlitePool, TestError> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true);
    SqlitePool::connect_with(options)
        .await
        .map_err(TestError::db(format!("opening `{}`", path.display())))
}

pub(crate) async fn create(
    builder: &TestDatabaseBuilder,
) -> Result<TestDatabase<sqlx::Sqlite>, TestError> {
    let base = base_dir(builder);
    let dir = base.join(unique_name("migrate_test"));
    std::fs::create_dir_all(&dir)
        .map_err(TestError::io(format!("creating `{}`", dir.display())))?;
    let cleanup = Cleanup::new(Target::Directory(dir.clone()));
    let path = dir.join("test.db");
    let template = if builder.template && builder.migrated {
        let template = ensure_template(&base, &builder.migrator).await?;
        std::fs::copy(&template, &path).map_err(TestError::io(format!(
            "copying the template `{}`",
            template.display()
        )))?;
        Some(template.display().to_string())
    } else {
        None
    };
    let pool = open(&path).await?;
    if builder.migrated && template.is_none() {
        builder.migrator.run(&pool).await?;
    }
    let url = format!("sqlite://{}", path.display());
    Ok(TestDatabase::new(
        pool,
        url,
        path.display().to_string(),
        template,
        cleanup,
    ))
}

/// The template file for `migrator` in `base`, migrated now if it does not exist yet.
/// Concurrent builders each migrate a file of their own and rename it into place; the
/// rename is atomic and every build is identical, so the last one simply wins.
async fn ensure_template(base: &Path, migrator: &Migrator) -> Result<PathBuf, TestError> {
    let name = template_name(migrator);
    let template = base.join(format!("{name}.db"));
    if template.exists() {
        return Ok(template);
    }
    let build = base.join(format!("{}.tmp", unique_name(&name)));
    let built = migrate_template(&build, migrator).await;
    // The migrator's lock file beside the database is not part of the template.
    let mut lock = build.clone().into_os_string();
    lock.push(".migrate-lock");
    let _ = std::fs::remove_file(PathBuf::from(lock));
    let published = built.and_then(|()| {
        std::fs::rename(&build, &template).map_err(TestError::io(format!(
            "publishing the template `{}`",
            template.display()
        )))
    });
    if published.is_err() {
        let _ = std::fs::remove_file(&build);
    }
    published.map(|()| template)
}

async fn migrate_template(path: &Path, migrator: &Migrator) -> Result<(), TestError> {
    let pool = open(path).await?;
    let migrated = migrator.run(&pool).await;
    // Closing the last connection leaves a complete file with no journal beside it.
    pool.close().await;
    migrated?;
    Ok(())
}
