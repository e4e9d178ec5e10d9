//! The statement splitter (`migrate_runtime::statements`) on the real-world corpus in
//! `../shared/corpus` (each corpus's SOURCE.md lists its traps): every `.sql` file splits, and
//! every migration applies with its statements executed one at a time on a real server, each in
//! a fresh database of its own. The boundaries of every file, and of generated inputs, are
//! pinned (`fixtures/split_pins.txt`): resuming a migration relies on them never moving.
//!
//! On PostgreSQL and MySQL each piece is also prepared before it runs: the server refuses to
//! prepare two statements at once, so a piece that is really two statements (which a
//! simple-protocol `raw_sql` would run without complaint) fails the test. sqlx prepares every
//! statement of a SQLite string, so there the statement counts, checked by hand, show it.
#![cfg(corpus)] // only when ../shared/corpus is there: see corpus_present.rs

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use migrate_runtime::statements::{split, Dialect, Statement};
use migrate_tests::{Server, ServerDatabase, SqliteFile};
use sqlx::{
    AssertSqlSafe, Connection, Executor, MySqlConnection, PgConnection, SqlSafeStr,
    SqliteConnection,
};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/corpus");

/// The `migrations/` directory of corpus `name`.
fn migrations(name: &str) -> PathBuf {
    Path::new(CORPUS).join(name).join("migrations")
}

/// The dialect of a corpus, from its name.
fn dialect_of(corpus: &str) -> Dialect {
    if corpus.ends_with("-mysql") {
        Dialect::MySql
    } else if corpus.ends_with("-sqlite") {
        Dialect::Sqlite
    } else {
        Dialect::Postgres
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// Every `.sql` file under `dir`, recursively, sorted.
fn sql_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "sql") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The files of a directory whose names end with `suffix`, sorted by the number that `version`
/// reads from the name.
fn files_by_version(dir: &Path, suffix: &str, version: fn(&str) -> u64) -> Vec<PathBuf> {
    let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(dir)
        .expect("read the migrations directory")
        .map(|e| e.expect("directory entry").path())
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_owned();
            name.ends_with(suffix).then(|| (version(&name), path))
        })
        .collect();
    files.sort();
    files.into_iter().map(|(_, path)| path).collect()
}

/// sqlx "simple" layout: `<version>_<description>.sql`.
fn sqlx_version(name: &str) -> u64 {
    let digits = name.split('_').next().unwrap_or("");
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no version in {name}"))
}

/// refinery layout: `V<N>__<name>.sql`, in numeric order (as strings `V10` < `V2`).
fn refinery_version(name: &str) -> u64 {
    let digits = name
        .strip_prefix('V')
        .and_then(|rest| rest.split("__").next())
        .unwrap_or("");
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no version in {name}"))
}

/// A diesel migration directory.
struct DieselMigration {
    version: String,
    dir: PathBuf,
    run_in_transaction: bool,
}

/// The migrations of a diesel directory (`<version>_<name>/up.sql`) in diesel's order:
/// versions (the text before the first `_`, without `-`) compared as strings.
fn diesel_migrations(dir: &Path) -> Vec<DieselMigration> {
    let mut migrations: Vec<DieselMigration> = std::fs::read_dir(dir)
        .expect("read the migrations directory")
        .map(|e| e.expect("directory entry").path())
        .filter(|path| path.is_dir())
        .map(|dir| {
            let name = dir
                .file_name()
                .and_then(|n| n.to_str())
                .expect("UTF-8 name");
            let version = name.split('_').next().unwrap_or("").replace('-', "");
            let metadata = dir.join("metadata.toml");
            let run_in_transaction = !metadata.exists()
                || !read(&metadata).lines().any(|line| {
                    line.split_once('=').is_some_and(|(key, value)| {
                        key.trim() == "run_in_transaction" && value.trim() == "false"
                    })
                });
            DieselMigration {
                version,
                dir,
                run_in_transaction,
            }
        })
        .collect();
    migrations.sort_by(|a, b| a.version.cmp(&b.version));
    migrations
}

/// `file:line:column` of a statement, for messages.
fn at(path: &Path, statement: &Statement<'_>) -> String {
    format!("{}:{}:{}", path.display(), statement.line, statement.column)
}

/// The guarantees `split` makes about its output, on a real file (split in its own dialect
/// when `own_dialect`: then no statement starts with a comment).
fn check_statements(path: &Path, sql: &str, statements: &[Statement<'_>], own_dialect: bool) {
    let mut previous_end = 0;
    for s in statements {
        let here = at(path, s);
        assert!(s.offset >= previous_end, "{here}: statements overlap");
        assert_eq!(
            sql.get(s.offset..s.offset + s.sql.len()),
            Some(s.sql),
            "{here}: not a sub-slice"
        );
        assert!(
            !s.sql.is_empty() && s.sql.trim() == s.sql,
            "{here}: untrimmed"
        );
        assert!(
            !own_dialect || !(s.sql.starts_with("--") || s.sql.starts_with("/*")),
            "{here}: starts with a comment"
        );
        let before = &sql[..s.offset];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        assert_eq!((s.line, s.column), (line, column), "{here}: wrong position");
        previous_end = s.offset + s.sql.len();
    }
}

/// Splits a file, checking the result.
fn split_file(path: &Path, dialect: Dialect) -> (String, Vec<(String, usize, usize)>) {
    let sql = read(path);
    let statements = split(&sql, dialect);
    check_statements(path, &sql, &statements, true);
    let owned = statements
        .iter()
        .map(|s| (s.sql.to_owned(), s.line, s.column))
        .collect();
    (sql, owned)
}

fn failure(path: &Path, line: usize, column: usize, sql: &str, error: &dyn std::fmt::Display) -> ! {
    panic!(
        "{}:{line}:{column}: {error}\n--- statement ---\n{sql}\n-----------------",
        path.display()
    )
}

// ---------------------------------------------------------------------------------------------
// Splitting only
// ---------------------------------------------------------------------------------------------

#[test]
fn every_corpus_file_splits() {
    let mut corpora = 0;
    let mut files = 0;
    for entry in std::fs::read_dir(CORPUS).expect("the corpus directory") {
        let path = entry.expect("directory entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_owned();
        if !path.is_dir() || name.starts_with('_') {
            continue;
        }
        corpora += 1;
        let dialect = dialect_of(&name);
        let mut statements = 0;
        let corpus_files = sql_files(&path.join("migrations"));
        assert!(!corpus_files.is_empty(), "{name} has no .sql file");
        for file in &corpus_files {
            // The other dialects too: `split` must never panic.
            for other in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
                let sql = read(file);
                check_statements(file, &sql, &split(&sql, other), other == dialect);
            }
            statements += split_file(file, dialect).1.len();
        }
        files += corpus_files.len();
        eprintln!(
            "{name}: {} files, {statements} statements",
            corpus_files.len()
        );
    }
    assert_eq!(corpora, 6);
    assert_eq!(files, 643);
}

#[test]
fn hand_checked_statement_counts() {
    let cases: [(&str, &str, usize); 13] = [
        // `;` inside `$$ ... $$` PL/pgSQL bodies, behind a long `--` comment block.
        ("crates-io", "00000000000000_diesel_initial_setup/up.sql", 2),
        // `$BODY$ ... $BODY$` with `;` inside, `'@>'` in a comment.
        ("crates-io", "2017-10-08-193512_category_trees/up.sql", 9),
        // `DO $$ ... $$` with nested IF/ELSE and `;` inside.
        (
            "crates-io",
            "2019-03-22-174825_remove_version_downloads_pk/down.sql",
            2,
        ),
        // `;` in trailing `--` comments: a comment-only tail is no statement.
        (
            "crates-io",
            "2024-10-24-133507_add-num-no-build-column/up.sql",
            2,
        ),
        // No terminating `;`.
        (
            "crates-io",
            "2026-07-30-140000-0000_add_users_username_index/up.sql",
            1,
        ),
        // Upstream bug: line 1 lacks its `;`, so the first two ALTERs are one statement.
        (
            "crates-io",
            "20170318181441_downloads_need_no_id/down.sql",
            2,
        ),
        // Empty and comment-only files.
        ("crates-io", "20140925132250_dumped_migration_8/down.sql", 0),
        (
            "crates-io",
            "2019-11-11-162609_drop_email_from_user/down.sql",
            0,
        ),
        // `E'\\x...'` escape-string bytea literals.
        ("rauthy-postgres", "V2__init_data.sql", 6),
        // `$func$ ... $func$` with `;` inside; `cost 100; -- default value` at the end.
        (
            "atuin-server-postgres",
            "20220419082412_add_count_trigger.sql",
            3,
        ),
        // Backtick identifiers.
        (
            "alexandrie-mysql",
            "2021-10-12-215020_external_auth/up.sql",
            3,
        ),
        // No trailing newline; `strftime('%s', 'now')`.
        (
            "atuin-scripts-sqlite",
            "20250326160051_create_scripts.up.sql",
            3,
        ),
        (
            "atuin-scripts-sqlite",
            "20250402170430_unique_names.up.sql",
            1,
        ),
    ];
    for (corpus, file, expected) in cases {
        let path = migrations(corpus).join(file);
        let (_, statements) = split_file(&path, dialect_of(corpus));
        assert_eq!(
            statements.len(),
            expected,
            "{}: {statements:#?}",
            path.display()
        );
    }

    // Where the statements begin.
    let path = migrations("atuin-server-postgres").join("20220419082412_add_count_trigger.sql");
    let (_, statements) = split_file(&path, Dialect::Postgres);
    let starts: Vec<(usize, usize)> = statements.iter().map(|s| (s.1, s.2)).collect();
    assert_eq!(starts, [(9, 1), (15, 1), (48, 1)]);
    assert!(statements[1].0.ends_with("cost 100"));
    let path = migrations("crates-io").join("20170318181441_downloads_need_no_id/down.sql");
    let (_, statements) = split_file(&path, Dialect::Postgres);
    assert_eq!(
        statements[0].0,
        "ALTER TABLE crate_downloads DROP CONSTRAINT crate_downloads_pkey\n\
         ALTER TABLE crate_downloads ALTER COLUMN \"date\" TYPE timestamp"
    );
}

// ---------------------------------------------------------------------------------------------
// Applying, statement by statement
// ---------------------------------------------------------------------------------------------

/// Prepares `sql` (without running it): PostgreSQL refuses to prepare more than one statement.
async fn assert_single_pg(conn: &mut PgConnection, path: &Path, s: &(String, usize, usize)) {
    let (sql, line, column) = s;
    if let Err(error) = conn
        .prepare(AssertSqlSafe(sql.clone()).into_sql_str())
        .await
    {
        failure(path, *line, *column, sql, &format!("prepare: {error}"));
    }
}

/// Applies one PostgreSQL file statement by statement, in a transaction or not.
async fn apply_pg(conn: &mut PgConnection, path: &Path, in_transaction: bool) -> usize {
    let (_, statements) = split_file(path, Dialect::Postgres);
    if in_transaction {
        let mut tx = conn.begin().await.expect("BEGIN");
        for s in &statements {
            assert_single_pg(&mut tx, path, s).await;
            if let Err(error) = sqlx::raw_sql(AssertSqlSafe(s.0.clone()))
                .execute(&mut *tx)
                .await
            {
                failure(path, s.1, s.2, &s.0, &error);
            }
        }
        tx.commit().await.expect("COMMIT");
    } else {
        for s in &statements {
            assert_single_pg(conn, path, s).await;
            if let Err(error) = sqlx::raw_sql(AssertSqlSafe(s.0.clone()))
                .execute(&mut *conn)
                .await
            {
                failure(path, s.1, s.2, &s.0, &error);
            }
        }
    }
    statements.len()
}

async fn pg_connection(db: &ServerDatabase) -> PgConnection {
    PgConnection::connect(&db.url)
        .await
        .expect("connect to the test database")
}

async fn pg_count(conn: &mut PgConnection, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(conn)
        .await
        .expect("count query")
}

#[tokio::test]
async fn crates_io_applies_on_postgres_statement_by_statement() {
    let migrations = diesel_migrations(&migrations("crates-io"));
    assert_eq!(migrations.len(), 285);
    // Diesel's string order: three 14-digit versions sort between 18-digit ones.
    let position = |v: &str| migrations.iter().position(|m| m.version == v).expect(v);
    assert!(position("202512291102420000") < position("20260120162913"));
    assert!(position("20260409114747") < position("202605051800070000"));
    assert!(position("202605261200000000") < position("20260527120000"));
    assert!(position("20260527120000") < position("202605271200000000"));
    let outside: Vec<&str> = migrations
        .iter()
        .filter(|m| !m.run_in_transaction)
        .map(|m| m.version.as_str())
        .collect();
    assert_eq!(outside.len(), 7, "{outside:?}");

    let Some(db) = ServerDatabase::create().await else {
        return;
    };
    let started = Instant::now();
    let mut conn = pg_connection(&db).await;
    let mut statements = 0;
    for m in &migrations {
        statements += apply_pg(&mut conn, &m.dir.join("up.sql"), m.run_in_transaction).await;
    }
    eprintln!(
        "crates-io: 285 migrations, {statements} statements in {:.1?}",
        started.elapsed()
    );
    for table in [
        "crates",
        "versions",
        "users",
        "categories",
        "deleted_crates",
    ] {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
            .bind(table)
            .fetch_one(&mut conn)
            .await
            .expect("to_regclass");
        assert!(exists, "table {table}");
    }
    assert!(
        pg_count(
            &mut conn,
            "SELECT count(*) FROM pg_proc WHERE proname = 'diesel_manage_updated_at'"
        )
        .await
            == 1
    );
    conn.close().await.expect("close");
}

#[tokio::test]
async fn atuin_server_applies_on_postgres_statement_by_statement() {
    let files = files_by_version(&migrations("atuin-server-postgres"), ".sql", sqlx_version);
    assert_eq!(files.len(), 20);
    let Some(db) = ServerDatabase::create().await else {
        return;
    };
    let mut conn = pg_connection(&db).await;
    let mut statements = 0;
    for file in &files {
        statements += apply_pg(&mut conn, file, true).await;
    }
    eprintln!("atuin-server-postgres: 20 files, {statements} statements");
    // The count trigger (PL/pgSQL in `$func$`) works.
    sqlx::raw_sql(
        "INSERT INTO users (username, email, password) VALUES ('u', 'u@example.invalid', 'x')",
    )
    .execute(&mut conn)
    .await
    .expect("insert a user");
    conn.close().await.expect("close");
}

#[tokio::test]
async fn rauthy_applies_on_postgres_in_numeric_order_statement_by_statement() {
    let files = files_by_version(&migrations("rauthy-postgres"), ".sql", refinery_version);
    assert_eq!(files.len(), 26);
    assert!(
        files[1].ends_with("V2__init_data.sql")
            && files[9].ends_with("V10__user_attr_config_feat.sql")
    );
    let Some(db) = ServerDatabase::create().await else {
        return;
    };
    let mut conn = pg_connection(&db).await;
    let mut statements = 0;
    for file in &files {
        statements += apply_pg(&mut conn, file, true).await;
    }
    eprintln!("rauthy-postgres: 26 files, {statements} statements");
    // The `E'\\x...'` literals arrived as bytes, not as text.
    let policy: Vec<u8> =
        sqlx::query_scalar("SELECT data FROM config WHERE id = 'password_policy'")
            .fetch_one(&mut conn)
            .await
            .expect("the seeded password policy");
    assert_eq!(&policy[..4], [0x0e, 0, 0, 0]);
    conn.close().await.expect("close");
}

/// Applies SQLite files, each in a transaction, statement by statement.
async fn apply_sqlite(files: &[PathBuf]) -> (SqliteFile, usize) {
    let db = SqliteFile::new();
    let mut conn = SqliteConnection::connect(&db.url)
        .await
        .expect("open the SQLite file");
    let mut count = 0;
    for file in files {
        let (_, statements) = split_file(file, Dialect::Sqlite);
        let mut tx = conn.begin().await.expect("BEGIN");
        for s in &statements {
            if let Err(error) = sqlx::raw_sql(AssertSqlSafe(s.0.clone()))
                .execute(&mut *tx)
                .await
            {
                failure(file, s.1, s.2, &s.0, &error);
            }
        }
        tx.commit().await.expect("COMMIT");
        count += statements.len();
    }
    conn.close().await.expect("close");
    (db, count)
}

#[tokio::test]
async fn atuin_client_applies_on_sqlite_statement_by_statement() {
    let files = files_by_version(&migrations("atuin-client-sqlite"), ".sql", sqlx_version);
    assert_eq!(files.len(), 12);
    let (db, statements) = apply_sqlite(&files).await;
    // Counted by hand (sqlx would run two statements sent as one without complaint on SQLite,
    // so the count is what shows that none were merged).
    assert_eq!(statements, 17);
    let mut conn = SqliteConnection::connect(&db.url).await.expect("reopen");
    let indexes: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'history'",
    )
    .fetch_one(&mut conn)
    .await
    .expect("sqlite_master");
    assert!(indexes > 0);
    conn.close().await.expect("close");
}

#[tokio::test]
async fn atuin_scripts_ups_apply_on_sqlite_statement_by_statement() {
    let files = files_by_version(&migrations("atuin-scripts-sqlite"), ".up.sql", sqlx_version);
    assert_eq!(files.len(), 2);
    let (db, statements) = apply_sqlite(&files).await;
    // Counted by hand, as above.
    assert_eq!(statements, 4);
    let mut conn = SqliteConnection::connect(&db.url).await.expect("reopen");
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&mut conn)
            .await
            .expect("sqlite_master");
    assert_eq!(tables, ["script_tags", "scripts"]);
    conn.close().await.expect("close");
}

#[tokio::test]
async fn alexandrie_applies_on_mariadb_statement_by_statement() {
    let migrations = diesel_migrations(&migrations("alexandrie-mysql"));
    assert_eq!(migrations.len(), 5);
    let Some(db) = ServerDatabase::create_on(Server::MySql).await else {
        return;
    };
    let mut conn = MySqlConnection::connect(&db.url)
        .await
        .expect("connect to the test database");
    let mut count = 0;
    for m in &migrations {
        let path = m.dir.join("up.sql");
        let (_, statements) = split_file(&path, Dialect::MySql);
        for s in &statements {
            // MySQL refuses to prepare two statements at once (and a few kinds of statement
            // at all: error 1295, which none of these is).
            if let Err(error) = (&mut conn)
                .prepare(AssertSqlSafe(s.0.clone()).into_sql_str())
                .await
            {
                failure(&path, s.1, s.2, &s.0, &format!("prepare: {error}"));
            }
            if let Err(error) = sqlx::raw_sql(AssertSqlSafe(s.0.clone()))
                .execute(&mut conn)
                .await
            {
                failure(&path, s.1, s.2, &s.0, &error);
            }
        }
        count += statements.len();
    }
    eprintln!("alexandrie-mysql: 5 migrations, {count} statements");
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = DATABASE()",
    )
    .fetch_one(&mut conn)
    .await
    .expect("information_schema");
    assert!(tables >= 10, "{tables} tables");
    conn.close().await.expect("close");
}

// ---------------------------------------------------------------------------------------------
// Pinned boundaries
// ---------------------------------------------------------------------------------------------

/// The pins of the corpus: `tests/fixtures/split_pins.txt`.
const PINS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/split_pins.txt");

/// The SHA-256, in hex, of the boundaries of `statements`: one line `offset,len,line,column\n`
/// per statement.
fn boundaries_hash(statements: &[Statement<'_>]) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for s in statements {
        hasher.update(format!(
            "{},{},{},{}\n",
            s.offset,
            s.sql.len(),
            s.line,
            s.column
        ));
    }
    hex(&hasher.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The pins of every corpus file, sorted: `<corpus>/<path> <dialect> <hash>` for each dialect,
/// where the hash is [`boundaries_hash`] of the file split in that dialect. The corpus's own
/// dialect ([`dialect_of`]) is what users' databases record; the other two pin the other
/// dialects' rules on the same real text.
fn corpus_pins() -> String {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(CORPUS).expect("the corpus directory") {
        let path = entry.expect("directory entry").path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !path.is_dir() || name.starts_with('_') {
            continue;
        }
        for file in sql_files(&path.join("migrations")) {
            let relative = file
                .strip_prefix(&path)
                .expect("a file of the corpus")
                .to_str()
                .expect("UTF-8 path")
                .replace('\\', "/");
            let sql = read(&file);
            for (dialect, label) in [
                (Dialect::Postgres, "postgres"),
                (Dialect::MySql, "mysql"),
                (Dialect::Sqlite, "sqlite"),
            ] {
                let hash = boundaries_hash(&split(&sql, dialect));
                lines.push(format!("{name}/{relative} {label} {hash}"));
            }
        }
    }
    lines.sort();
    let mut pins = lines.join("\n");
    pins.push('\n');
    pins
}

/// Statement boundaries are stored in users' databases (to resume a migration that stopped
/// part-way), so no change of the splitter may move one. This pins the boundaries of every
/// corpus file; `MIGRATE_UPDATE_PINS=1` rewrites the fixture, for a deliberate change only.
#[test]
fn corpus_boundaries_are_pinned() {
    let pins = corpus_pins();
    if std::env::var_os("MIGRATE_UPDATE_PINS").is_some() {
        std::fs::write(PINS, &pins).expect("write the pins");
        return;
    }
    let expected = read(Path::new(PINS));
    let pinned: HashSet<&str> = expected.lines().collect();
    let now: HashSet<&str> = pins.lines().collect();
    let moved: Vec<&str> = pins.lines().filter(|l| !pinned.contains(l)).collect();
    let gone: Vec<&str> = expected.lines().filter(|l| !now.contains(l)).collect();
    assert!(
        moved.is_empty() && gone.is_empty(),
        "statement boundaries moved:\n{}\npinned:\n{}",
        moved.join("\n"),
        gone.join("\n")
    );
}

/// Pieces that [`generated_input`] strings together: the characters and keywords that the
/// splitter's rules are about, in every dialect.
// A table: rustfmt would put each piece on a line of its own.
#[rustfmt::skip]
const PIECES: &[&str] = &[
    ";", ";", ";\n", "'", "''", "\"", "`", "[", "]", "\\", "\\'", "$", "$$", "$a$", "$1", "--",
    "-- ", "--x", "#", "/*", "*/", "/*!", "/*+", "(", ")", "(", ")", ":", ":=", ",", "=", "\n",
    "\r", " ", " ", "\t", "E'", "e'", "é", "\u{3000}", "💥", "DELIMITER //\n", "DELIMITER ;\n",
    "delimiter $$\n", "DELIMITER\n", "//", "$$", "x", "t1", "42", "1.5e3", " CREATE ", " create ",
    " OR ", " REPLACE ", " DEFINER = `u`@`h` ", " TRIGGER ", " PROCEDURE ", " FUNCTION ",
    " EVENT ", " AGGREGATE ", " TABLE ", " TEMP ", " TEMPORARY ", " BEGIN ", " begin ", " ATOMIC ",
    " NOT ", " END ", " end ", " IF ", " CASE ", " LOOP ", " WHILE ", " REPEAT ", " UNTIL ",
    " THEN ", " ELSE ", " WHEN ", " DO ", " FOR ", " EACH ", " ROW ", " FOR EACH ROW ",
    " FOLLOWS ", " PRECEDES ", " l1: ", " SELECT ", " RETURNS ", " INT ", " ON ", " WORK ",
    " START TRANSACTION ", " CREATE PROCEDURE p() ", " CREATE FUNCTION f(x INT) RETURNS INT ",
    " CREATE OR REPLACE FUNCTION f() RETURNS int ", " CREATE OR REPLACE PROCEDURE p() ",
    " LANGUAGE sql BEGIN ATOMIC ", " CREATE DEFINER = `u`@`h` PROCEDURE p(IN n INT) ",
    " CREATE AGGREGATE FUNCTION f() ", " CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW ",
    " CREATE TEMP TRIGGER t AFTER ", " CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO ",
    " BEGIN NOT ATOMIC ", " END IF ", " END LOOP ", " END WHILE ", " END REPEAT ", " END CASE ",
];

/// A deterministic pseudo-random generator (xorshift64).
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> XorShift {
        XorShift(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    /// A number below `n` (which is not 0).
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        usize::try_from(self.0 % n as u64).unwrap_or(0)
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }
}

/// A deterministic pseudo-random string of [`PIECES`].
fn generated_input(seed: u64) -> String {
    let mut random = XorShift::new(seed);
    let len = random.below(80);
    (0..len).map(|_| random.pick(PIECES)).collect()
}

/// How [`generated_statements`] begins a statement: the headers of compound statements.
const HEADERS: &[&str] = &[
    "",
    "CREATE PROCEDURE p() ",
    "CREATE FUNCTION f(x INT) RETURNS INT ",
    "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql ",
    "CREATE PROCEDURE p() LANGUAGE sql ",
    "CREATE DEFINER=`u`@`h` PROCEDURE p(IN n INT) ",
    "CREATE OR REPLACE AGGREGATE FUNCTION f() ",
    "CREATE TRIGGER t BEFORE INSERT ON a FOR EACH ROW ",
    "CREATE TRIGGER t AFTER DELETE ON a FOR EACH ROW FOLLOWS t1 ",
    "CREATE TEMP TRIGGER t AFTER INSERT ON a ",
    "CREATE TRIGGER IF NOT EXISTS t AFTER UPDATE ON a ",
    "CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO ",
    "CREATE TABLE t ",
    "BEGIN ",
    "BEGIN NOT ATOMIC ",
    "IF x THEN ",
    "REPEAT ",
    "WHILE x DO ",
    "CASE ",
    "l1: LOOP ",
    "SELECT ",
    "DELIMITER //\n",
    "DELIMITER ;\n",
    "END ",
];

/// What [`generated_statements`] puts in a statement: mostly the keywords of compound
/// statements.
// A table: rustfmt would put each piece on a line of its own.
#[rustfmt::skip]
const BODY: &[&str] = &[
    " BEGIN ", " END ", " IF ", " THEN ", " ELSE ", " CASE ", " WHEN ", " LOOP ", " WHILE ",
    " REPEAT ", " UNTIL ", " DO ", " NOT ", " ATOMIC ", " FOR EACH ROW ", " FOLLOWS ",
    " PRECEDES ", " ROW ", " EACH ", " END IF ", " END LOOP ", " END CASE ", " END WHILE ",
    " END REPEAT ", " l1: ", " l2:", "v:= ", " SELECT 1", " x ", " := ", ":", "(", ")", ";", "; ", ";\n", ";",
    " BEGIN SELECT 1; END ", " IF x THEN SELECT 1; END IF ", " CASE WHEN 1 THEN 2 END ",
    " SET x = IF(1, 2, 3)", "'a;'", "$$ ; $$", "-- c;\n", "/* ; */", "#;\n", "//", "$$",
    "`b;`", " begin ", " end ", " case ",
];

/// Deterministic pseudo-random statements: [`HEADERS`], then [`BODY`] pieces, then a
/// delimiter.
fn generated_statements(seed: u64) -> String {
    let mut random = XorShift::new(seed);
    let mut input = String::new();
    for _ in 0..=random.below(8) {
        input.push_str(random.pick(HEADERS));
        for _ in 0..random.below(20) {
            input.push_str(random.pick(BODY));
        }
        input.push_str(random.pick(&[";\n", ";", "//\n", "$$\n", ""]));
    }
    input
}

/// The boundaries of `count` inputs made by `generate` from seeds `0..count`, in every dialect,
/// hashed together.
fn generated_boundaries_hash(count: u64, generate: fn(u64) -> String) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for seed in 0..count {
        let input = generate(seed);
        for dialect in [Dialect::Postgres, Dialect::MySql, Dialect::Sqlite] {
            hasher.update(boundaries_hash(&split(&input, dialect)));
        }
    }
    hex(&hasher.finalize())
}

/// The corpus exercises little of the compound-statement rules: the boundaries of generated
/// inputs, in every dialect, are pinned as well.
#[test]
fn generated_input_boundaries_are_pinned() {
    assert_eq!(
        generated_boundaries_hash(20_000, generated_input),
        "7589fe31e81534b0cbd2c3927eba35284bcdba44e96202f3d0a396de24836566"
    );
    assert_eq!(
        generated_boundaries_hash(20_000, generated_statements),
        "69adea732d716769a0b28882b883fd1e4eb57c6d95db2d89e2334485649dfec8"
    );
}
