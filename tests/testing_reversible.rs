//! The reversibility check (`migrate::testing::ReversibilityCheck`) on real databases: a
//! broken down script from the corpus (atuin's scripts, SQLite) and the fixed one, down
//! scripts that run but leave a different schema (fixtures, on all three backends), and
//! crates.io's 285 diesel migrations on PostgreSQL.

#[cfg(corpus)]
use std::path::Path;

use migrate::testing::{ReversibilityCheck, ReversibilityError, TestDatabaseBuilder};
use migrate::Migrations;

use crate::support::{available, builder};
#[cfg(corpus)]
use crate::support::{diesel_layout, runtime_migrations, sqlx_layout, CORPUS};

// The items that use `../shared/corpus` are compiled only when it is there (see
// corpus_present.rs).
// SQLite, run by the macro, refuses its down script (`engine`): allowed, since the check at
// run time is what these tests are about.
#[cfg(corpus)]
mod atuin_scripts {
    migrate::embed_migrations!(
        "../../shared/corpus/atuin-scripts-sqlite/migrations",
        dialect = "sqlite",
        allow = ["engine"]
    );
}
mod lossy_default {
    migrate::embed_migrations!(
        "fixtures/testing_lossy_default",
        dialect = ["postgres", "mysql", "sqlite"]
    );
}
// Its down script forgets an index, so SQLite, run by the macro, refuses the up applied again
// (`engine`): allowed likewise.
mod forgotten_index {
    migrate::embed_migrations!(
        "fixtures/testing_forgotten_index",
        dialect = ["postgres", "mysql", "sqlite"],
        allow = ["engine"]
    );
}
// PostgreSQL only: its up has a `DO` block (SQLite, run by the macro, refuses it).
mod reapply_differs {
    migrate::embed_migrations!("fixtures/testing_reapply_differs", dialect = "postgres");
}

/// Which server a check runs on.
#[derive(Clone, Copy, Debug)]
enum Backend {
    Postgres,
    MySql,
    Sqlite,
}

const ALL: [Backend; 3] = [Backend::Postgres, Backend::MySql, Backend::Sqlite];

/// Runs the check on a fresh, empty database of `backend`; `None` when the server is
/// unreachable outside CI.
async fn check_on(
    backend: Backend,
    check: ReversibilityCheck,
    migrations: &'static Migrations,
) -> Option<Result<migrate::testing::ReversibilityReport, ReversibilityError>> {
    let servers = builder(migrations);
    Some(match backend {
        Backend::Postgres => {
            let db = available(servers.postgres().migrated(false).postgres().await)?;
            check.run(db.pool()).await
        }
        Backend::MySql => {
            let db = available(servers.mysql().migrated(false).mysql().await)?;
            check.run(db.pool()).await
        }
        Backend::Sqlite => {
            let db = TestDatabaseBuilder::new(migrations)
                .migrated(false)
                .sqlite()
                .await
                .expect("SQLite database");
            check.run(db.pool()).await
        }
    })
}

#[cfg(corpus)]
#[tokio::test]
async fn atuin_scripts_broken_down_is_reported() {
    let migrations = &atuin_scripts::migrations::MIGRATIONS;
    let result = check_on(
        Backend::Sqlite,
        ReversibilityCheck::new(migrations),
        migrations,
    )
    .await
    .expect("SQLite is always there");
    let error = result.expect_err("the upstream down script is MySQL syntax");
    let ReversibilityError::DownFailed {
        version,
        file,
        error: source,
    } = &error
    else {
        panic!("expected DownFailed, got {error}");
    };
    assert_eq!(*version, 20250402170430);
    assert_eq!(file, "20250402170430_unique_names.down.sql");
    let message = source.to_string();
    assert!(
        message.contains(r#"near "index": syntax error"#),
        "{message}"
    );
    assert!(
        error.to_string().starts_with(
            "the down script of migration 20250402170430 (`20250402170430_unique_names.down.sql`) failed"
        ),
        "{error}"
    );
}

#[cfg(corpus)]
#[tokio::test]
async fn atuin_scripts_with_the_down_fixed_round_trip() {
    let dir = Path::new(CORPUS).join("atuin-scripts-sqlite/migrations");
    let fixed = runtime_migrations(
        "atuin-scripts-fixed",
        sqlx_layout(
            &dir,
            &[(
                "20250402170430_unique_names.down.sql",
                "DROP INDEX name_uniq_idx;\n",
            )],
        ),
    );
    let report = check_on(Backend::Sqlite, ReversibilityCheck::new(fixed), fixed)
        .await
        .expect("SQLite is always there")
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(report.checked, [20250326160051, 20250402170430]);
    assert!(report.irreversible.is_empty());
}

#[tokio::test]
async fn the_app_fixture_round_trips_on_every_backend() {
    let migrations = &crate::app::migrations::MIGRATIONS;
    for backend in ALL {
        let Some(result) = check_on(backend, ReversibilityCheck::new(migrations), migrations).await
        else {
            continue;
        };
        let report = result.unwrap_or_else(|error| panic!("{backend:?}: {error}"));
        assert_eq!(report.checked, [3, 4], "{backend:?}");
        assert_eq!(report.irreversible, [1, 2], "{backend:?}");
        assert!(report.applied_first.is_empty());
    }
    // From a point on: what comes before is applied without checking.
    let check =
        ReversibilityCheck::new(migrations).after(&crate::app::migrations::V3_CREATE_CONVERSATIONS);
    let report = check_on(Backend::Sqlite, check, migrations)
        .await
        .expect("SQLite")
        .unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(report.applied_first, [1, 2, 3]);
    assert_eq!(report.checked, [4]);
}

#[tokio::test]
async fn the_check_needs_an_empty_database() {
    let migrations = &crate::app::migrations::MIGRATIONS;
    let db = TestDatabaseBuilder::new(migrations)
        .sqlite()
        .await
        .expect("migrated SQLite database");
    let error = ReversibilityCheck::new(migrations)
        .run(db.pool())
        .await
        .expect_err("already migrated");
    assert!(
        matches!(error, ReversibilityError::NotEmpty { version: 1 }),
        "{error}"
    );
}

/// The expected lines of a difference on each backend.
fn expected_lines(
    backend: Backend,
    postgres: &[&str],
    mysql: &[&str],
    sqlite: &[&str],
) -> Vec<String> {
    let lines = match backend {
        Backend::Postgres => postgres,
        Backend::MySql => mysql,
        Backend::Sqlite => sqlite,
    };
    lines.iter().map(|l| (*l).to_owned()).collect()
}

#[tokio::test]
async fn a_down_that_restores_another_default_is_reported() {
    let migrations = &lossy_default::migrations::MIGRATIONS;
    for backend in ALL {
        let Some(result) = check_on(backend, ReversibilityCheck::new(migrations), migrations).await
        else {
            continue;
        };
        let Err(error) = result else {
            panic!("{backend:?}: the down script restores another default, yet the check passed");
        };
        let ReversibilityError::NotRestored {
            version,
            file,
            diff,
        } = &error
        else {
            panic!("{backend:?}: expected NotRestored, got {error}");
        };
        assert_eq!(*version, 3, "{backend:?}");
        assert_eq!(file, "0003_drop_status.down.sql");
        assert_eq!(
            diff.lines(),
            expected_lines(
                backend,
                &[
                    "- column users.status: character varying(20) NOT NULL DEFAULT 'active'::character varying",
                    "+ column users.status: character varying(20) NOT NULL DEFAULT 'enabled'::character varying",
                ],
                &[
                    "- column users.status: varchar(20) NOT NULL DEFAULT 'active'",
                    "+ column users.status: varchar(20) NOT NULL DEFAULT 'enabled'",
                ],
                &[
                    "- column users.status: VARCHAR(20) NOT NULL DEFAULT 'active'",
                    "+ column users.status: VARCHAR(20) NOT NULL DEFAULT 'enabled'",
                ],
            ),
            "{backend:?}"
        );
        // Migration 2 before it was checked and passed.
        assert!(
            error.to_string().contains("did not restore the schema"),
            "{error}"
        );
    }
}

#[tokio::test]
async fn a_down_that_forgets_an_index_is_reported() {
    let migrations = &forgotten_index::migrations::MIGRATIONS;
    for backend in ALL {
        let Some(result) = check_on(backend, ReversibilityCheck::new(migrations), migrations).await
        else {
            continue;
        };
        let Err(error) = result else {
            panic!("{backend:?}: the down script forgets the index, yet the check passed");
        };
        let ReversibilityError::NotRestored {
            version,
            file,
            diff,
        } = &error
        else {
            panic!("{backend:?}: expected NotRestored, got {error}");
        };
        assert_eq!(
            (*version, file.as_str()),
            (2, "0002_age_and_name_index.down.sql")
        );
        assert_eq!(
            diff.lines(),
            expected_lines(
                backend,
                &["+ index users_name_idx: CREATE INDEX users_name_idx ON public.users USING btree (name)"],
                &["+ index users.users_name_idx: BTREE (name)"],
                &["+ index users_name_idx ON users: (name)"],
            ),
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn an_up_that_differs_when_applied_again_is_reported() {
    let migrations = &reapply_differs::migrations::MIGRATIONS;
    let Some(result) = check_on(
        Backend::Postgres,
        ReversibilityCheck::new(migrations),
        migrations,
    )
    .await
    else {
        return;
    };
    let error = result.expect_err("the second up finds the seeded row");
    let ReversibilityError::ReapplyDiffers {
        version,
        file,
        diff,
    } = &error
    else {
        panic!("expected ReapplyDiffers, got {error}");
    };
    assert_eq!((*version, file.as_str()), (2, "0002_seed_settings.up.sql"));
    assert_eq!(
        diff.lines(),
        ["+ index settings_value_idx: CREATE INDEX settings_value_idx ON public.settings USING btree (value)"]
    );
}

/// crates.io's migrations (diesel layout), numbered by position.
#[cfg(corpus)]
fn crates_io() -> &'static Migrations {
    runtime_migrations(
        "crates-io",
        diesel_layout(&Path::new(CORPUS).join("crates-io/migrations")),
    )
}

#[cfg(corpus)]
#[tokio::test]
async fn crates_io_first_lossy_down_is_reported() {
    let migrations = crates_io();
    assert_eq!(migrations.len(), 285);
    let Some(result) = check_on(
        Backend::Postgres,
        ReversibilityCheck::new(migrations),
        migrations,
    )
    .await
    else {
        return;
    };
    let error = result.expect_err("crates.io has lossy downs");
    // One of the five empty (0-byte) downs of SOURCE.md: its up dropped four defaults, and
    // nothing puts them back. (The empty downs of _8 and _11 before it follow data-only ups.)
    let ReversibilityError::NotRestored {
        version,
        file,
        diff,
    } = &error
    else {
        panic!("expected NotRestored, got {error}");
    };
    assert_eq!(*version, 13);
    assert_eq!(file, "20140925132254_dumped_migration_12/down.sql");
    assert_eq!(
        diff.lines(),
        [
            "+ column packages.created_at: timestamp without time zone NOT NULL",
            "- column packages.created_at: timestamp without time zone NOT NULL DEFAULT now()",
            "+ column packages.updated_at: timestamp without time zone NOT NULL",
            "- column packages.updated_at: timestamp without time zone NOT NULL DEFAULT now()",
            "+ column versions.created_at: timestamp without time zone NOT NULL",
            "- column versions.created_at: timestamp without time zone NOT NULL DEFAULT now()",
            "+ column versions.updated_at: timestamp without time zone NOT NULL",
            "- column versions.updated_at: timestamp without time zone NOT NULL DEFAULT now()",
        ]
    );
}

#[cfg(corpus)]
#[tokio::test]
async fn crates_io_newest_migrations() {
    let migrations = crates_io();
    let by_name = |name: &str| {
        migrations
            .iter()
            .find(|m| m.name() == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    // The newest 50 start after the migration whose down script fails (SOURCE.md, item 1).
    // All 50 revert and re-apply without an error, as SOURCE.md says, but three down scripts
    // leave another schema than the one before their up. Checking from after each one in
    // turn finds all three; the newest 10 then round-trip.
    let mut start = by_name("2024-10-25-112826_make-unique-version-unique");
    assert_eq!(start.version(), 235);
    let mut found = Vec::new();
    let report = loop {
        let Some(result) = check_on(
            Backend::Postgres,
            ReversibilityCheck::new(migrations).after(start),
            migrations,
        )
        .await
        else {
            return;
        };
        match result {
            Ok(report) => break report,
            Err(ReversibilityError::NotRestored {
                version,
                file,
                diff,
            }) => {
                found.push((version, file, diff.lines()));
                start = migrations.get(version).expect("a checked migration");
            }
            Err(error) => panic!("expected NotRestored, got {error}"),
        }
        assert!(found.len() <= 3, "{found:?}");
    };
    let versions: Vec<(i64, &str)> = found.iter().map(|(v, f, _)| (*v, f.as_str())).collect();
    assert_eq!(
        versions,
        [
            (245, "2025-02-11-163554_fix-num-versions-trigger/down.sql"),
            (254, "2025-07-16-170846_drop_gh_access_token/down.sql"),
            (
                275,
                "2026-06-17-105325-0000_versions_tar_sha256_not_null/down.sql"
            ),
        ]
    );
    // 245 drops the function (and, by CASCADE, its trigger) that 2025-02-05 created,
    // instead of restoring that earlier version of it.
    let lines = &found[0].2;
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].starts_with(
            "- function update_num_versions_from_versions() returns trigger [definition "
        ),
        "{lines:?}"
    );
    assert_eq!(
        lines[1],
        "- trigger versions.trigger_update_num_versions_from_versions: CREATE TRIGGER \
         trigger_update_num_versions_from_versions AFTER INSERT OR DELETE ON versions \
         FOR EACH ROW EXECUTE FUNCTION update_num_versions_from_versions()"
    );
    // 254 restores a dropped column with a default it did not have.
    assert_eq!(
        found[1].2,
        [
            "- column users.gh_access_token: character varying NOT NULL",
            "+ column users.gh_access_token: character varying NOT NULL DEFAULT ''::character varying",
        ]
    );
    // 275 adds back a CHECK that its up dropped, but that a fresh database never had (in
    // production it was added by hand before the up ran).
    assert_eq!(
        found[2].2,
        ["+ constraint versions.versions_tar_sha256_present: CHECK (tar_sha256 IS NOT NULL) NOT VALID"]
    );
    assert_eq!(report.applied_first.len(), 275);
    assert_eq!(report.checked.len(), 10);
    assert!(report.irreversible.is_empty());
}
