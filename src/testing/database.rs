//! [`TestDatabase`]: a fresh, migrated database that is dropped with the value.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::{Migrations, Migrator};

use super::config::redact;
use super::TestError;

/// A fresh database, created for one test (migrated unless asked otherwise) and dropped
/// when this value is dropped, also when the test panics.
///
/// Get one with [`TestDatabase::postgres`], [`TestDatabase::mysql`] or
/// [`TestDatabase::sqlite`], or configure one with [`TestDatabaseBuilder`]. `DB` is the sqlx
/// database type (`sqlx::Postgres`, `sqlx::MySql`, `sqlx::Sqlite`).
///
/// Dropping runs `DROP DATABASE` on a thread of its own (the test's runtime may be busy
/// dropping this very value), so it works in `#[tokio::test]` functions of either flavour.
/// A process that is killed (SIGKILL, a debugger stopped) cannot drop anything: its
/// databases keep their `migrate_test_` names and can be dropped by hand.
pub struct TestDatabase<DB: sqlx::Database> {
    // Declared before `cleanup`, so the pool is dropped before the database is.
    pool: sqlx::Pool<DB>,
    url: String,
    name: String,
    template: Option<String>,
    cleanup: Cleanup,
}

/// Shows the URL without its password.
impl<DB: sqlx::Database> fmt::Debug for TestDatabase<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDatabase")
            .field("pool", &self.pool)
            .field("url", &redact(&self.url))
            .field("name", &self.name)
            .field("template", &self.template)
            .field("cleanup", &self.cleanup)
            .finish()
    }
}

impl<DB: sqlx::Database> TestDatabase<DB> {
    pub(crate) fn new(
        pool: sqlx::Pool<DB>,
        url: String,
        name: String,
        template: Option<String>,
        cleanup: Cleanup,
    ) -> Self {
        TestDatabase {
            pool,
            url,
            name,
            template,
            cleanup,
        }
    }

    /// A pool on the database.
    pub fn pool(&self) -> &sqlx::Pool<DB> {
        &self.pool
    }

    /// The database's URL, e.g. to start the application under test on it, or to open a
    /// pool with other options.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database's name (for SQLite, the file's path).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The template it was copied from: a PostgreSQL database name or a SQLite file path.
    /// `None` when the migrations were applied to this database itself (always on MySQL, and
    /// when templates are turned off or the database is unmigrated).
    pub fn template(&self) -> Option<&str> {
        self.template.as_deref()
    }

    /// Closes the pool and drops the database now, reporting a failure instead of printing
    /// it as dropping the value does.
    ///
    /// # Errors
    /// [`TestError`] when the database could not be dropped.
    pub async fn close(self) -> Result<(), TestError> {
        let TestDatabase {
            pool, mut cleanup, ..
        } = self;
        // A connection the test still holds is not waited for past a few seconds: the drop
        // below ends it anyway.
        let _ = tokio::time::timeout(Duration::from_secs(5), pool.close()).await;
        drop(pool);
        cleanup.run().await
    }
}

/// What dropping a [`TestDatabase`] removes.
pub(crate) enum Target {
    /// A database on a PostgreSQL server.
    #[cfg(feature = "postgres")]
    Postgres { admin_url: String, name: String },
    /// A database on a MySQL or MariaDB server.
    #[cfg(feature = "mysql")]
    MySql { admin_url: String, name: String },
    /// A directory holding a SQLite file.
    #[cfg(feature = "sqlite")]
    Directory(PathBuf),
}

/// Shows the admin URL without its password.
impl fmt::Debug for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `*self`: without database features the enum is empty, and so is the match.
        match *self {
            #[cfg(feature = "postgres")]
            Target::Postgres {
                ref admin_url,
                ref name,
            } => f
                .debug_struct("Postgres")
                .field("admin_url", &redact(admin_url))
                .field("name", name)
                .finish(),
            #[cfg(feature = "mysql")]
            Target::MySql {
                ref admin_url,
                ref name,
            } => f
                .debug_struct("MySql")
                .field("admin_url", &redact(admin_url))
                .field("name", name)
                .finish(),
            #[cfg(feature = "sqlite")]
            Target::Directory(ref dir) => f.debug_tuple("Directory").field(dir).finish(),
        }
    }
}

impl Target {
    async fn remove(self) -> Result<(), TestError> {
        match self {
            #[cfg(feature = "postgres")]
            Target::Postgres { admin_url, name } => {
                super::postgres::drop_database(&admin_url, &name).await
            }
            #[cfg(feature = "mysql")]
            Target::MySql { admin_url, name } => {
                super::mysql::drop_database(&admin_url, &name).await
            }
            #[cfg(feature = "sqlite")]
            Target::Directory(dir) => remove_directory(&dir),
        }
    }

    /// Removes it right away if that needs no database connection (a SQLite directory);
    /// gives it back otherwise.
    fn remove_without_runtime(self) -> Result<Result<(), TestError>, Target> {
        match self {
            #[cfg(feature = "sqlite")]
            Target::Directory(dir) => Ok(remove_directory(&dir)),
            #[allow(unreachable_patterns)] // without the sqlite feature, every target
            other => Err(other),
        }
    }
}

/// Removes its [`Target`] when dropped, unless that was done already with
/// [`Cleanup::run`]. Armed as soon as the target exists, so that a failure later in the
/// setup removes it too.
#[derive(Debug)]
pub(crate) struct Cleanup(Option<Target>);

impl Cleanup {
    pub(crate) fn new(target: Target) -> Self {
        Cleanup(Some(target))
    }

    /// Removes the target now (once).
    pub(crate) async fn run(&mut self) -> Result<(), TestError> {
        match self.0.take() {
            Some(target) => target.remove().await,
            None => Ok(()),
        }
    }
}

#[cfg(feature = "sqlite")]
fn remove_directory(dir: &std::path::Path) -> Result<(), TestError> {
    match std::fs::remove_dir_all(dir) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => Err(TestError::Io {
            context: format!("removing `{}`", dir.display()),
            error,
        }),
        _ => Ok(()),
    }
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let Some(target) = self.0.take() else {
            return;
        };
        let removed = match target.remove_without_runtime() {
            Ok(removed) => removed,
            // Dropped inside the test's runtime (possibly a current-thread one, busy running
            // this very drop): a thread with a runtime of its own does the work.
            Err(target) => {
                let joined = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(TestError::io("starting a runtime to drop a test database"))?;
                    runtime.block_on(target.remove())
                })
                .join();
                match joined {
                    Ok(result) => result,
                    Err(_) => {
                        eprintln!("warning: the thread dropping a test database panicked");
                        return;
                    }
                }
            }
        };
        if let Err(error) = removed {
            eprintln!("warning: could not drop a test database: {error}");
        }
    }
}

/// Configures how [`TestDatabase`]s are made: the migrator (for a custom history table), the
/// server, whether to use a template, whether to migrate at all.
///
/// ```no_run
/// # extern crate checked_migrations as migrate; // users name the dependency `migrate`
/// # #[cfg(feature = "postgres")]
/// # async fn example(migrations: &'static migrate::Migrations) -> Result<(), Box<dyn std::error::Error>> {
/// use migrate::testing::TestDatabaseBuilder;
///
/// let migrator = migrate::Migrator::new(migrations).history_table("schema_history")?;
/// let db = TestDatabaseBuilder::with_migrator(migrator)
///     .admin_url("postgres://postgres@db.internal:5432/postgres")
///     .postgres()
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct TestDatabaseBuilder {
    pub(crate) migrator: Migrator,
    pub(crate) admin_url: Option<String>,
    pub(crate) sqlite_dir: Option<PathBuf>,
    pub(crate) template: bool,
    pub(crate) migrated: bool,
}

/// Shows the admin URL without its password.
impl fmt::Debug for TestDatabaseBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestDatabaseBuilder")
            .field("migrator", &self.migrator)
            .field("admin_url", &self.admin_url.as_deref().map(redact))
            .field("sqlite_dir", &self.sqlite_dir)
            .field("template", &self.template)
            .field("migrated", &self.migrated)
            .finish()
    }
}

impl TestDatabaseBuilder {
    /// Test databases migrated with `migrations` and the default migrator.
    pub fn new(migrations: &'static Migrations) -> Self {
        Self::with_migrator(Migrator::new(migrations))
    }

    /// Test databases migrated with `migrator`, e.g. one with another history table.
    pub fn with_migrator(migrator: Migrator) -> Self {
        TestDatabaseBuilder {
            migrator,
            admin_url: None,
            sqlite_dir: None,
            template: true,
            migrated: true,
        }
    }

    /// The URL of the server's admin database, through which test databases are created and
    /// dropped (PostgreSQL and MySQL). Without it, the URL comes from the environment; see
    /// the [module documentation](super).
    pub fn admin_url(mut self, url: impl Into<String>) -> Self {
        self.admin_url = Some(url.into());
        self
    }

    /// The directory for SQLite databases and templates; by default `MIGRATE_TEST_SQLITE_DIR`,
    /// else the system's temporary directory.
    pub fn sqlite_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.sqlite_dir = Some(dir.into());
        self
    }

    /// Whether to migrate a template once and copy it for each test database (PostgreSQL
    /// and SQLite; MySQL has no templates and always migrates each database). On by
    /// default; turn it off to run the migrations in every test database.
    pub fn template(mut self, on: bool) -> Self {
        self.template = on;
        self
    }

    /// Whether to apply the migrations at all. Off gives an empty database, as
    /// [`ReversibilityCheck`](super::ReversibilityCheck) needs.
    pub fn migrated(mut self, on: bool) -> Self {
        self.migrated = on;
        self
    }

    /// The migrator test databases are migrated with.
    pub fn migrator(&self) -> &Migrator {
        &self.migrator
    }

    /// A fresh PostgreSQL database: `CREATE DATABASE … TEMPLATE` of a template migrated
    /// once per set of migrations (see the [module documentation](super)).
    ///
    /// # Errors
    /// [`TestError::Unreachable`] when the server cannot be reached; [`TestError::Migrate`]
    /// when a migration fails; [`TestError::Database`] for any other failing statement.
    #[cfg(feature = "postgres")]
    #[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
    pub async fn postgres(&self) -> Result<TestDatabase<sqlx::Postgres>, TestError> {
        super::postgres::create(self).await
    }

    /// A fresh MySQL or MariaDB database, migrated.
    ///
    /// # Errors
    /// As [`TestDatabaseBuilder::postgres`].
    #[cfg(feature = "mysql")]
    #[cfg_attr(docsrs, doc(cfg(feature = "mysql")))]
    pub async fn mysql(&self) -> Result<TestDatabase<sqlx::MySql>, TestError> {
        super::mysql::create(self).await
    }

    /// A fresh SQLite file in a directory of its own, copied from a template file migrated
    /// once per set of migrations.
    ///
    /// # Errors
    /// [`TestError::Io`] for file operations, [`TestError::Migrate`] when a migration fails.
    #[cfg(feature = "sqlite")]
    #[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
    pub async fn sqlite(&self) -> Result<TestDatabase<sqlx::Sqlite>, TestError> {
        super::sqlite::create(self).await
    }
}

#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
impl TestDatabase<sqlx::Postgres> {
    /// A fresh PostgreSQL database migrated with `migrations`, on the server of
    /// `MIGRATE_TEST_POSTGRES_URL` (see the [module documentation](super)).
    ///
    /// # Errors
    /// See [`TestDatabaseBuilder::postgres`].
    pub async fn postgres(migrations: &'static Migrations) -> Result<Self, TestError> {
        TestDatabaseBuilder::new(migrations).postgres().await
    }
}

#[cfg(feature = "mysql")]
#[cfg_attr(docsrs, doc(cfg(feature = "mysql")))]
impl TestDatabase<sqlx::MySql> {
    /// A fresh MySQL or MariaDB database migrated with `migrations`, on the server of
    /// `MIGRATE_TEST_MYSQL_URL` (see the [module documentation](super)).
    ///
    /// # Errors
    /// See [`TestDatabaseBuilder::mysql`].
    pub async fn mysql(migrations: &'static Migrations) -> Result<Self, TestError> {
        TestDatabaseBuilder::new(migrations).mysql().await
    }
}

#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
impl TestDatabase<sqlx::Sqlite> {
    /// A fresh SQLite file migrated with `migrations`, in the system's temporary directory
    /// (or `MIGRATE_TEST_SQLITE_DIR`), removed on drop.
    ///
    /// # Errors
    /// See [`TestDatabaseBuilder::sqlite`].
    pub async fn sqlite(migrations: &'static Migrations) -> Result<Self, TestError> {
        TestDatabaseBuilder::new(migrations).sqlite().await
    }
}
