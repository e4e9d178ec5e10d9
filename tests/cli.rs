//! The embedded CLI, run as a subprocess against real PostgreSQL, SQLite and MariaDB
//! databases: every command, human and JSON output, exit codes, and errors in plain words.

use std::path::Path;
use std::process::Output;

use migrate_tests::{Server, ServerDatabase, SqliteFile};
use serde_json::Value;

fn cli(url: &str, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_migrate-test-cli"))
        .args(args)
        .env("DATABASE_URL", url)
        .env_remove("MIGRATE_TEST_FIXTURE")
        .output()
        .expect("run the CLI")
}

/// The CLI of another fixture (see `src/bin/cli.rs`).
fn cli_of(fixture: &str, url: &str, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_migrate-test-cli"))
        .args(args)
        .env("DATABASE_URL", url)
        .env("MIGRATE_TEST_FIXTURE", fixture)
        .output()
        .expect("run the CLI")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn ok(url: &str, args: &[&str]) -> String {
    let output = cli(url, args);
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        text(&output)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn json(url: &str, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let output = cli(url, &all);
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{all:?}: not JSON ({e}): {}", text(&output)))
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

/// Every applied line of `status --json` says when it was applied in RFC 3339, in UTC, to
/// the microsecond, just now; the table shows the same time to the millisecond.
fn assert_applied_just_now_in_utc(url: &str) {
    let status = json(url, &["status"]);
    let table = ok(url, &["status"]);
    let lines = status.as_array().expect("array");
    assert!(!lines.is_empty(), "{status}");
    for line in lines.iter().filter(|line| line["state"] == "applied") {
        let at = line["applied_at"]
            .as_str()
            .unwrap_or_else(|| panic!("no applied_at: {line}"));
        migrate_tests::assert_applied_just_now_in_utc(at);
        let shown = format!("{}Z", &at[..23]);
        assert!(table.contains(&shown), "{shown} in\n{table}");
    }
}

fn session(url: &str) {
    let status = ok(url, &["status"]);
    assert!(
        status.contains("VERSION") && status.contains("REVERSIBLE"),
        "{status}"
    );
    assert!(status.contains("0 applied, 4 pending"), "{status}");

    let up = ok(url, &["up", "--to", "2"]);
    assert!(
        up.contains("applying 1 create_a") && up.contains("applied   2 create_b in"),
        "{up}"
    );
    assert!(up.contains("done: 2 applied, 0 reverted"), "{up}");

    let plan = ok(url, &["plan"]);
    assert!(
        plan.contains("-- up 3 create_c (0003_create_c.sql)") && plan.contains("CREATE TABLE d"),
        "{plan}"
    );
    let plan = json(url, &["plan", "down", "--steps", "1"]);
    assert_eq!(plan[0]["direction"], "down");
    assert_eq!(plan[0]["version"], 2);
    assert_eq!(plan[0]["sql"], "DROP TABLE b;\n");

    let up = json(url, &["up"]);
    assert_eq!(up["applied"].as_array().map(Vec::len), Some(2), "{up}");
    let status = json(url, &["status"]);
    let states: Vec<&str> = status
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|s| s["state"].as_str())
        .collect();
    assert_eq!(states, ["applied"; 4]);
    assert!(
        status[0]["applied_at"].is_string() && status[0]["duration_ms"].is_number(),
        "{status}"
    );
    assert_applied_just_now_in_utc(url);

    let down = ok(url, &["down"]);
    assert!(down.contains("reverted  4 create_d"), "{down}");

    // 0003 cannot be reverted: exit 3, in plain words, nothing reverted.
    let refused = cli(url, &["down", "--to", "1"]);
    assert_eq!(code(&refused), 3, "{}", text(&refused));
    assert!(
        text(&refused).contains("migration 3 (`0003_create_c.sql`) cannot be reverted"),
        "{}",
        text(&refused)
    );
    let refused = json(url, &["down", "--all"]);
    assert_eq!(refused["error"]["kind"], "irreversible", "{refused}");

    let marked = ok(url, &["mark-reverted", "3"]);
    assert!(marked.contains("marked 3 as reverted"), "{marked}");
    let marked = ok(url, &["mark-applied", "4"]);
    assert!(
        marked.contains("marked 3 as applied") && marked.contains("marked 4 as applied"),
        "{marked}"
    );
    assert!(ok(url, &["repair"]).contains("nothing to repair"));
    assert!(ok(url, &["up"]).contains("nothing to apply"));

    // A version the binary does not have is a usage error (2), with the versions it has.
    let wrong = cli(url, &["up", "--to", "9"]);
    assert_eq!(code(&wrong), 2);
    assert!(
        text(&wrong).contains("no migration 9 (it has 1, 2, 3, 4)"),
        "{}",
        text(&wrong)
    );
}

#[test]
fn a_session_on_sqlite() {
    let db = SqliteFile::new();
    session(&db.url);
}

#[tokio::test]
async fn a_session_on_postgres() {
    let Some(db) = ServerDatabase::create_on(Server::Postgres).await else {
        return;
    };
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || session(&url))
        .await
        .expect("session");
}

#[tokio::test]
async fn a_session_on_mariadb() {
    let Some(db) = ServerDatabase::create_on(Server::MySql).await else {
        return;
    };
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || session(&url))
        .await
        .expect("session");
}

/// MySQL shows a TIMESTAMP in the session's time zone (sqlx sets `+00:00` unless told
/// otherwise): `applied_at` is UTC whatever it is.
#[tokio::test]
async fn applied_at_is_utc_in_any_session_time_zone_on_mariadb() {
    let Some(db) = ServerDatabase::create_on(Server::MySql).await else {
        return;
    };
    let url = format!("{}?timezone=%2B05:30", db.url);
    tokio::task::spawn_blocking(move || {
        ok(&url, &["up"]);
        assert_applied_just_now_in_utc(&url);
    })
    .await
    .expect("cli");
}

#[tokio::test]
async fn a_held_lock_exits_with_4() {
    let Some(db) = ServerDatabase::create_on(Server::Postgres).await else {
        return;
    };
    let pool = db.pool().await;
    let key = migrate_tests::fixtures::reversible::migrations::migrator()
        .table()
        .lock_key();
    let mut holder = pool.acquire().await.expect("holder");
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(key)
        .execute(&mut *holder)
        .await
        .expect("lock");
    let url = db.url.clone();
    let output = tokio::task::spawn_blocking(move || cli(&url, &["up", "--lock-timeout", "1"]))
        .await
        .expect("cli");
    assert_eq!(code(&output), 4, "{}", text(&output));
    assert!(
        text(&output).contains("timed out") && text(&output).contains("held by backend pid"),
        "{}",
        text(&output)
    );
}

#[test]
fn errors_are_plain_and_never_show_the_password() {
    let output = cli(
        "postgres://app:hunter2-s3cret@127.0.0.1:1/nope",
        &["status"],
    );
    assert_eq!(code(&output), 1);
    assert!(
        text(&output).starts_with("error: cannot connect to the database"),
        "{}",
        text(&output)
    );
    assert!(!text(&output).contains("hunter2"), "{}", text(&output));

    let output = cli("oracle://db", &["status"]);
    assert_eq!(code(&output), 2);
    assert!(
        text(&output).contains("unsupported database URL scheme `oracle`"),
        "{}",
        text(&output)
    );

    // An empty DATABASE_URL says so, with the URLs to write instead.
    let output = cli("", &["status"]);
    assert_eq!(code(&output), 2);
    assert!(
        text(&output).contains("no database: DATABASE_URL is set but empty")
            && text(&output).contains("`postgres://user:password@host:5432/database`")
            && text(&output).contains("`mysql://")
            && text(&output).contains("`sqlite://"),
        "{}",
        text(&output)
    );
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_migrate-test-cli"))
        .args(["--database-url", "", "status"])
        .env_remove("DATABASE_URL")
        .output()
        .expect("cli");
    assert_eq!(code(&output), 2);
    assert!(
        text(&output).contains("no database: --database-url is empty"),
        "{}",
        text(&output)
    );

    // A value without a scheme is not a scheme to show: it may be the password itself.
    let output = cli("hunter2-s3cret", &["status"]);
    assert_eq!(code(&output), 2);
    assert!(
        text(&output).contains("does not start with a scheme"),
        "{}",
        text(&output)
    );
    assert!(!text(&output).contains("hunter2"), "{}", text(&output));

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_migrate-test-cli"))
        .arg("status")
        .env_remove("DATABASE_URL")
        .output()
        .expect("cli");
    assert_eq!(code(&output), 2);
    assert!(
        text(&output).contains("no database: pass --database-url or set DATABASE_URL"),
        "{}",
        text(&output)
    );

    let output = cli("sqlite::memory:", &["frobnicate"]);
    assert_eq!(code(&output), 2, "clap's usage errors exit with 2");
}

#[test]
fn new_creates_the_next_files_in_the_same_style() {
    let dir = std::env::temp_dir().join(migrate_tests::unique_name("migrate_cli_new"));
    std::fs::create_dir_all(&dir).expect("dir");
    let dir_arg = dir.to_string_lossy().into_owned();
    let created = ok("", &["new", "add_things", "--dir", &dir_arg]);
    assert!(
        created.contains("0005_add_things.sql"),
        "after the embedded 0004: {created}"
    );
    assert!(dir.join("0005_add_things.sql").exists());
    let created = json(
        "",
        &["new", "more-things", "--reversible", "--dir", &dir_arg],
    );
    assert_eq!(created["version"], 6, "after the file on disk: {created}");
    assert!(
        Path::new(&dir.join("0006_more-things.up.sql")).exists()
            && dir.join("0006_more-things.down.sql").exists()
    );
    let created = ok(
        "sqlite://ignored.db",
        &[
            "new",
            "backfill_things",
            "--rust",
            "--reversible",
            "--dir",
            &dir_arg,
        ],
    );
    assert!(created.contains("0007_backfill_things.rs"), "{created}");
    let template = std::fs::read_to_string(dir.join("0007_backfill_things.rs")).expect("template");
    // The committed fixture `rust_template` is this template as generated, and it compiles
    // as a migration (the fixture is embedded by the test crate).
    let fixture = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/rust_template/0001_backfill_things.rs"
    ))
    .expect("fixture");
    assert_eq!(
        template, fixture,
        "update fixtures/rust_template from `new --rust`"
    );
    assert!(migrate_tests::fixtures::rust_template::migrations::V1_BACKFILL_THINGS.is_reversible());
    let bad = cli("", &["new", "has space", "--dir", &dir_arg]);
    assert_eq!(code(&bad), 2);
    assert!(
        text(&bad).contains("not a valid description"),
        "{}",
        text(&bad)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 12.4 through the CLI: a migration that failed on a missing row (a foreign key) is
/// refused until `retry` runs it again unchanged, once the row exists.
#[tokio::test]
async fn retry_resumes_a_migration_whose_environment_was_fixed_on_mariadb() {
    let Some(db) = ServerDatabase::create_on(Server::MySql).await else {
        return;
    };
    let url = db.url.clone();
    let run = move |args: &'static [&'static str]| {
        let url = url.clone();
        async move {
            tokio::task::spawn_blocking(move || cli_of("fk_retry", &url, args))
                .await
                .expect("cli")
        }
    };
    let failed = run(&["up"]).await;
    assert_eq!(code(&failed), 1, "{}", text(&failed));
    let status = run(&["status"]).await;
    assert!(
        text(&status).contains("unfinished after 2 statement(s): Cannot add or update a child row")
            && text(&status).contains("1 applied, 0 pending, 1 unfinished"),
        "{}",
        text(&status)
    );
    let refused = run(&["up"]).await;
    assert_eq!(code(&refused), 3, "{}", text(&refused));
    assert!(
        text(&refused).contains("run `retry 2`"),
        "{}",
        text(&refused)
    );

    // The row the migration expects is created; the file stays as it is.
    let pool = db.mysql_pool().await;
    sqlx::query("INSERT INTO parents (id) VALUES (7)")
        .execute(&pool)
        .await
        .expect("the missing parent");
    let retried = run(&["retry", "2"]).await;
    assert_eq!(code(&retried), 0, "{}", text(&retried));
    assert!(
        text(&retried).contains("applied   2 import_children")
            && text(&retried).contains("done: 1 applied, 0 reverted"),
        "{}",
        text(&retried)
    );
    let steps: Vec<(i32, i64)> =
        sqlx::query_as("SELECT step, COUNT(*) FROM import_log GROUP BY step ORDER BY step")
            .fetch_all(&pool)
            .await
            .expect("import_log");
    assert_eq!(steps, [(1, 1), (2, 1)], "each statement once");
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM _migrate_history_audit WHERE action = 'retry' AND version = 2",
    )
    .fetch_one(&pool)
    .await
    .expect("audit");
    assert_eq!(audited, 1);
    let again = run(&["retry", "2"]).await;
    assert!(
        text(&again).contains("nothing to retry: migration 2 is not unfinished"),
        "{}",
        text(&again)
    );
    let unknown = run(&["retry", "9"]).await;
    assert_eq!(code(&unknown), 2, "{}", text(&unknown));
}

/// Issue 12.2 through the CLI: a failed down shows as an unfinished revert of the down file
/// in `status` (text and JSON), `up` and `plan` refuse naming it, and `repair` says what it
/// leaves behind.
#[tokio::test]
async fn an_unfinished_revert_in_status_plan_up_and_repair_on_mariadb() {
    let Some(db) = ServerDatabase::create_on(Server::MySql).await else {
        return;
    };
    let url = db.url.clone();
    let session = move || {
        let run = |args: &[&str]| cli_of("revert_typo", &url, args);
        assert_eq!(code(&run(&["up"])), 0);
        let failed = run(&["down"]);
        assert_eq!(code(&failed), 1, "{}", text(&failed));
        assert!(
            text(&failed).contains("0001_two_tables.down.sql:2:1"),
            "{}",
            text(&failed)
        );

        let status = text(&run(&["status"]));
        assert!(
            status.contains(
                "unfinished revert after 1 of 2 statement(s) of `0001_two_tables.down.sql`: "
            ) && status.contains("t1_typo")
                && status.contains("0 applied, 0 pending, 1 unfinished revert"),
            "{status}"
        );
        let status: Value =
            serde_json::from_slice(&run(&["--json", "status"]).stdout).expect("JSON status");
        assert_eq!(status[0]["state"], "unfinished revert", "{status}");
        assert_eq!(status[0]["file"], "0001_two_tables.down.sql", "{status}");
        assert_eq!(
            (&status[0]["statements_applied"], &status[0]["statements"]),
            (&Value::from(1), &Value::from(2)),
            "{status}"
        );

        let refused = run(&["up"]);
        assert_eq!(code(&refused), 3, "{}", text(&refused));
        assert!(
            text(&refused)
                .contains("the revert of migration 1 (`0001_two_tables.down.sql`) is unfinished")
                && text(&refused).contains("Fix that statement in `0001_two_tables.down.sql`"),
            "{}",
            text(&refused)
        );
        let refused: Value =
            serde_json::from_slice(&run(&["--json", "up"]).stdout).expect("JSON error");
        assert_eq!(refused["error"]["kind"], "unfinished_revert", "{refused}");
        for plan in [&["plan"][..], &["plan", "down"]] {
            let refused = run(plan);
            assert_eq!(code(&refused), 3, "{plan:?}: {}", text(&refused));
        }

        let repaired = run(&["repair"]);
        assert_eq!(code(&repaired), 0, "{}", text(&repaired));
        assert!(
            text(&repaired).contains(
                "removed the row of 1, whose revert was unfinished: statements 1 to 1 of `0001_two_tables.down.sql` stay applied"
            ),
            "{}",
            text(&repaired)
        );
    };
    tokio::task::spawn_blocking(session).await.expect("session");
}
