//! The seal of the history table on PostgreSQL and MariaDB: a one-row table kept current by
//! triggers, read instead of the history when nothing is pending. These tests check that
//! the triggers compute what the runtime expects (with the hash written out again here),
//! that a start-up with nothing to do needs nothing but the seal, and that every way of
//! changing the history by hand is seen: through the triggers, or because the seal is no
//! longer trusted.
//!
//! Each test runs on both servers, on databases of its own.

use std::time::Duration;

use migrate::{Error, Migrations, Migrator, Report};
use migrate_tests::fixtures::{basic, truncated};
use migrate_tests::{Server, ServerDatabase};
use sha2::{Digest, Sha256};
use sqlx::{MySqlPool, PgPool};

/// A test database on one of the two servers.
enum Db {
    Pg(PgPool),
    My(MySqlPool),
}

/// The seal as the tests compute it: the number of rows and the XOR of, for each row, the
/// first 8 bytes of SHA-256 over its version (8 bytes, big-endian), its checksum and a
/// byte for its success.
fn seal_of<'a>(rows: impl IntoIterator<Item = (i64, &'a [u8], bool)>) -> (i64, u64) {
    let mut count = 0;
    let mut digest = 0u64;
    for (version, checksum, success) in rows {
        let mut hasher = Sha256::new();
        hasher.update(version.to_be_bytes());
        hasher.update(checksum);
        hasher.update([u8::from(success)]);
        let hash = hasher.finalize();
        digest ^= u64::from_be_bytes(hash[..8].try_into().expect("8 bytes"));
        count += 1;
    }
    (count, digest)
}

fn seal_of_migrations(migrations: &Migrations) -> (i64, u64) {
    seal_of(
        migrations
            .iter()
            .map(|m| (m.version(), &m.checksum()[..], true)),
    )
}

/// Forgets 0003 (which seeds `items`) and its rows, so that it can run again.
const FORGET_SEED: &str = "DELETE FROM items; DELETE FROM _migrate_history WHERE version = 3";

fn versions(report: &Report) -> Vec<i64> {
    report.applied().iter().map(|a| a.version).collect()
}

impl Db {
    async fn create(server: Server) -> Option<(ServerDatabase, Db)> {
        let db = ServerDatabase::create_on(server).await?;
        let pool = match server {
            Server::Postgres => Db::Pg(db.pool().await),
            Server::MySql => Db::My(db.mysql_pool().await),
        };
        Some((db, pool))
    }

    async fn run(&self, migrations: &'static Migrations) -> Result<Report, Error> {
        let migrator = Migrator::new(migrations);
        match self {
            Db::Pg(pool) => migrator.run(pool).await,
            Db::My(pool) => migrator.run(pool).await,
        }
    }

    async fn execute(&self, sql: &str) {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        let done = match self {
            Db::Pg(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
            Db::My(pool) => sqlx::raw_sql(sql).execute(pool).await.map(drop),
        };
        done.unwrap_or_else(|e| panic!("{e}"));
    }

    /// The seal row as stored, its digest as unsigned bits.
    async fn stored_seal(&self) -> Option<(i64, u64)> {
        let sql = "SELECT row_count, digest FROM _migrate_history_seal";
        match self {
            Db::Pg(pool) => sqlx::query_as::<_, (i64, i64)>(sql)
                .fetch_optional(pool)
                .await
                .expect("read the seal")
                .map(|(rows, digest)| (rows, digest as u64)),
            Db::My(pool) => sqlx::query_as::<_, (i64, u64)>(sql)
                .fetch_optional(pool)
                .await
                .expect("read the seal"),
        }
    }

    /// The seal of the history rows as they are now.
    async fn seal_of_history(&self) -> (i64, u64) {
        let sql = "SELECT version, checksum, success FROM _migrate_history";
        let rows: Vec<(i64, Vec<u8>, bool)> = match self {
            Db::Pg(pool) => sqlx::query_as(sql).fetch_all(pool).await,
            Db::My(pool) => sqlx::query_as(sql).fetch_all(pool).await,
        }
        .expect("read the history");
        seal_of(rows.iter().map(|(v, c, s)| (*v, &c[..], *s)))
    }

    /// Renames the history's `version` column away and back: in between, neither the
    /// history nor its summary can be read, only the seal.
    async fn hide_history(&self, hidden: bool) {
        let (from, to) = if hidden {
            ("version", "hidden_version")
        } else {
            ("hidden_version", "version")
        };
        if let Db::My(_) = self {
            // In whole seconds: make sure it changes, whatever the timing.
            tokio::time::sleep(Duration::from_millis(1100)).await;
        }
        self.execute(&format!(
            "ALTER TABLE _migrate_history RENAME COLUMN {from} TO {to}"
        ))
        .await;
        // MySQL gives the altered table a new creation time, which the seal keeps to tell
        // a recreated table; the seal is made to follow, as only the column name changed.
        if let Db::My(_) = self {
            self.execute(
                "UPDATE _migrate_history_seal SET history_created = (SELECT CREATE_TIME \
                 FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() \
                 AND TABLE_NAME = '_migrate_history')",
            )
            .await;
        }
    }
}

async fn each_server(test: impl AsyncFn(Server, Db)) {
    for server in [Server::Postgres, Server::MySql] {
        let Some((_db, pool)) = Db::create(server).await else {
            continue;
        };
        test(server, pool).await;
    }
}

#[tokio::test]
async fn the_triggers_keep_the_seal_the_runtime_expects() {
    each_server(async |server, db| {
        let report = db
            .run(&basic::migrations::MIGRATIONS)
            .await
            .expect("migrate");
        assert_eq!(versions(&report), [1, 2, 3], "{server:?}");
        let expected = seal_of_migrations(&basic::migrations::MIGRATIONS);
        assert_eq!(expected.0, 3);
        assert_eq!(db.stored_seal().await, Some(expected), "{server:?}");
        assert_eq!(db.seal_of_history().await, expected, "{server:?}");
    })
    .await;
}

#[tokio::test]
async fn a_start_up_with_nothing_to_do_reads_only_the_seal() {
    each_server(async |server, db| {
        db.run(&basic::migrations::MIGRATIONS).await.expect("migrate");
        db.hide_history(true).await;
        let report = db
            .run(&basic::migrations::MIGRATIONS)
            .await
            .unwrap_or_else(|e| panic!("{server:?}: the seal alone says nothing is pending: {e}"));
        assert!(report.is_noop(), "{server:?}: {report:?}");
        // With a migration the seal does not know of, the history is read (and fails here).
        let error = db
            .run(&truncated::migrations::MIGRATIONS)
            .await
            .expect_err("the history is read");
        assert!(
            matches!(&error, Error::Database { context, .. } if context.contains("reading the history")),
            "{server:?}: {error:?}"
        );
        db.hide_history(false).await;
    })
    .await;
}

#[tokio::test]
async fn changes_by_hand_go_through_the_triggers() {
    each_server(async |server, db| {
        db.run(&basic::migrations::MIGRATIONS).await.expect("migrate");
        let expected = seal_of_migrations(&basic::migrations::MIGRATIONS);

        // A row deleted by hand, to run a migration again: it runs again.
        db.execute(FORGET_SEED).await;
        assert_eq!(db.stored_seal().await, Some(db.seal_of_history().await));
        let report = db.run(&basic::migrations::MIGRATIONS).await.expect("re-run 3");
        assert_eq!(versions(&report), [3], "{server:?}");
        assert_eq!(db.stored_seal().await, Some(expected), "{server:?}");

        // A checksum edited by hand: drift, reported as without the seal.
        db.execute("UPDATE _migrate_history SET checksum = checksum WHERE version = 2")
            .await;
        assert_eq!(db.stored_seal().await, Some(expected), "{server:?}: no-op update");
        let sql = match server {
            Server::Postgres => "UPDATE _migrate_history SET checksum = sha256(checksum) WHERE version = 2",
            Server::MySql => "UPDATE _migrate_history SET checksum = UNHEX(SHA2(checksum, 256)) WHERE version = 2",
        };
        db.execute(sql).await;
        assert_eq!(db.stored_seal().await, Some(db.seal_of_history().await));
        let error = db.run(&basic::migrations::MIGRATIONS).await.expect_err("drift");
        assert!(
            matches!(error, Error::ChecksumMismatch { version: 2, .. }),
            "{server:?}: {error:?}"
        );

        // Restored, then a row inserted by hand for a migration this binary lacks.
        let checksum: String = basic::migrations::MIGRATIONS
            .get(2)
            .expect("0002")
            .checksum()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let literal = match server {
            Server::Postgres => format!("decode('{checksum}', 'hex')"),
            Server::MySql => format!("UNHEX('{checksum}')"),
        };
        db.execute(&format!(
            "UPDATE _migrate_history SET checksum = {literal} WHERE version = 2"
        ))
        .await;
        assert_eq!(db.stored_seal().await, Some(expected), "{server:?}: restored");
        db.execute(
            "INSERT INTO _migrate_history (version, name, checksum, success, duration_us) \
             SELECT 99, 'from_elsewhere', checksum, true, 0 FROM _migrate_history WHERE version = 1",
        )
        .await;
        assert_eq!(db.stored_seal().await, Some(db.seal_of_history().await));
        let error = db.run(&basic::migrations::MIGRATIONS).await.expect_err("extra row");
        assert!(
            matches!(error, Error::MissingFromBinary { version: 99, .. }),
            "{server:?}: {error:?}"
        );
        db.execute("DELETE FROM _migrate_history WHERE version = 99").await;
        assert_eq!(db.stored_seal().await, Some(expected), "{server:?}: removed");

        // The history emptied by TRUNCATE (which fires no row trigger on MySQL): everything
        // is pending again, and 0001 fails on its existing table.
        db.execute("TRUNCATE TABLE _migrate_history").await;
        let error = db.run(&basic::migrations::MIGRATIONS).await.expect_err("all pending");
        assert!(
            matches!(error, Error::Migration { version: 1, .. }),
            "{server:?}: {error:?}"
        );
        if server == Server::Postgres {
            assert_eq!(db.stored_seal().await, Some((0, 0)), "the TRUNCATE trigger");
        }
    })
    .await;
}

#[tokio::test]
async fn a_seal_that_disagrees_with_the_rows_is_recomputed() {
    each_server(async |server, db| {
        db.run(&basic::migrations::MIGRATIONS)
            .await
            .expect("migrate");
        let expected = seal_of_migrations(&basic::migrations::MIGRATIONS);
        // As after a restore of the seal table alone, or writes with the triggers off.
        db.execute("UPDATE _migrate_history_seal SET digest = 12345")
            .await;
        let report = db
            .run(&basic::migrations::MIGRATIONS)
            .await
            .expect("reseal");
        assert!(report.is_noop(), "{server:?}: {report:?}");
        assert_eq!(db.stored_seal().await, Some(expected), "{server:?}");
        // Trusted again: the next start-up needs only the seal.
        db.hide_history(true).await;
        let report = db
            .run(&basic::migrations::MIGRATIONS)
            .await
            .expect("sealed");
        assert!(report.is_noop(), "{server:?}: {report:?}");
        db.hide_history(false).await;
    })
    .await;
}

#[tokio::test]
async fn a_history_table_recreated_by_hand_is_not_trusted_until_resealed() {
    each_server(async |server, db| {
        db.run(&basic::migrations::MIGRATIONS)
            .await
            .expect("migrate");
        // MySQL's table creation time, which the seal keeps, has whole seconds.
        tokio::time::sleep(Duration::from_millis(1100)).await;
        // Rebuilt without 0003: its triggers are gone with the old table.
        let sql = match server {
            Server::Postgres => {
                "CREATE TABLE rebuilt (LIKE _migrate_history INCLUDING ALL); \
                 INSERT INTO rebuilt SELECT * FROM _migrate_history WHERE version < 3; \
                 DELETE FROM items; \
                 DROP TABLE _migrate_history; ALTER TABLE rebuilt RENAME TO _migrate_history"
            }
            Server::MySql => {
                "CREATE TABLE rebuilt LIKE _migrate_history; \
                 INSERT INTO rebuilt SELECT * FROM _migrate_history WHERE version < 3; \
                 DELETE FROM items; \
                 DROP TABLE _migrate_history; RENAME TABLE rebuilt TO _migrate_history"
            }
        };
        db.execute(sql).await;
        let report = db
            .run(&basic::migrations::MIGRATIONS)
            .await
            .expect("0003 again");
        assert_eq!(versions(&report), [3], "{server:?}");
        let expected = seal_of_migrations(&basic::migrations::MIGRATIONS);
        assert_eq!(db.stored_seal().await, Some(expected), "{server:?}");
        // The run installed the triggers on the new table.
        db.execute(FORGET_SEED).await;
        assert_eq!(db.stored_seal().await, Some(db.seal_of_history().await));
    })
    .await;
}

#[tokio::test]
async fn a_database_without_a_seal_gets_one_at_its_next_migration() {
    each_server(async |server, db| {
        db.run(&truncated::migrations::MIGRATIONS)
            .await
            .expect("migrate");
        match &db {
            Db::Pg(pool) => migrate_tests::drop_pg_seal(pool).await,
            Db::My(pool) => migrate_tests::drop_mysql_seal(pool).await,
        }
        // Nothing pending: the summary says so, and nothing is created.
        let report = db
            .run(&truncated::migrations::MIGRATIONS)
            .await
            .expect("no-op");
        assert!(report.is_noop(), "{server:?}");
        let exists = match &db {
            Db::Pg(pool) => migrate_tests::pg_relation_exists(pool, "_migrate_history_seal").await,
            Db::My(pool) => sqlx::query("SHOW TABLES LIKE '\\_migrate\\_history\\_seal'")
                .fetch_optional(pool)
                .await
                .expect("show tables")
                .is_some(),
        };
        assert!(!exists, "{server:?}: a no-op creates nothing");
        // With a migration to apply, the seal is installed under the lock.
        let report = db.run(&basic::migrations::MIGRATIONS).await.expect("0003");
        assert_eq!(versions(&report), [3], "{server:?}");
        let expected = seal_of_migrations(&basic::migrations::MIGRATIONS);
        assert_eq!(db.stored_seal().await, Some(expected), "{server:?}");
    })
    .await;
}

#[tokio::test]
async fn disabled_triggers_make_postgres_read_the_summary() {
    let Some((_db, db)) = Db::create(Server::Postgres).await else {
        return;
    };
    db.run(&basic::migrations::MIGRATIONS)
        .await
        .expect("migrate");
    db.execute("ALTER TABLE _migrate_history DISABLE TRIGGER migrate_seal")
        .await;
    db.execute(FORGET_SEED).await;
    let report = db
        .run(&basic::migrations::MIGRATIONS)
        .await
        .expect("0003 again");
    assert_eq!(versions(&report), [3]);
    // Enabled again, as the runtime creates it; the next start-up recomputes the seal that
    // missed the changes, and trusts it.
    db.execute("ALTER TABLE _migrate_history ENABLE ALWAYS TRIGGER migrate_seal")
        .await;
    assert!(db
        .run(&basic::migrations::MIGRATIONS)
        .await
        .expect("reseal")
        .is_noop());
    let expected = seal_of_migrations(&basic::migrations::MIGRATIONS);
    assert_eq!(db.stored_seal().await, Some(expected));
    // A session in replica mode (logical replication, restores) still fires it.
    db.execute(
        "BEGIN; SET LOCAL session_replication_role = replica; \
         DELETE FROM items; DELETE FROM _migrate_history WHERE version = 3; COMMIT",
    )
    .await;
    assert_eq!(db.stored_seal().await, Some(db.seal_of_history().await));
    let report = db
        .run(&basic::migrations::MIGRATIONS)
        .await
        .expect("0003 again");
    assert_eq!(versions(&report), [3]);
}

#[tokio::test]
async fn without_the_trigger_privilege_mysql_runs_on_the_summary() {
    let Some((db, root)) = Db::create(Server::MySql).await else {
        return;
    };
    let user = migrate_tests::unique_name("nt").replace('_', "");
    let user = &user[..user.len().min(32)];
    root.execute(&format!(
        "CREATE USER '{user}'@'%'; \
         GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, DROP, ALTER, INDEX ON `{}`.* TO '{user}'@'%'",
        db.name
    ))
    .await;
    // The same server and database, as that user.
    let host = db
        .url
        .split_once("://")
        .map(|(_, rest)| rest)
        .unwrap_or(&db.url);
    let host = host.rsplit_once('@').map_or(host, |(_, host)| host);
    let url = format!("mysql://{user}@{host}");
    let pool = MySqlPool::connect(&url).await.expect("connect as the user");
    let limited = Db::My(pool);
    let result = async {
        let report = limited.run(&basic::migrations::MIGRATIONS).await?;
        assert_eq!(versions(&report), [1, 2, 3]);
        assert_eq!(
            limited.stored_seal().await,
            None,
            "no seal without triggers"
        );
        assert!(limited.run(&basic::migrations::MIGRATIONS).await?.is_noop());
        limited.execute(FORGET_SEED).await;
        let report = limited.run(&basic::migrations::MIGRATIONS).await?;
        assert_eq!(versions(&report), [3]);
        Ok::<_, Error>(())
    }
    .await;
    root.execute(&format!("DROP USER '{user}'@'%'")).await;
    result.expect("runs without the seal");
}
