//! The fixture directories of `tests/fixtures/`, embedded once for every test binary.

/// Three migrations: create `items`, add `price` (reversible), seed two rows.
pub mod basic {
    migrate::embed_migrations!("fixtures/basic", dialect = ["postgres", "mysql", "sqlite"]);
}

/// `basic` with 0002 edited after the fact.
pub mod edited {
    migrate::embed_migrations!(
        "fixtures/basic_edited",
        dialect = ["postgres", "mysql", "sqlite"]
    );
}

/// `basic` without 0003, as in an older binary.
pub mod truncated {
    migrate::embed_migrations!(
        "fixtures/basic_truncated",
        dialect = ["postgres", "mysql", "sqlite"]
    );
}

/// 0001 and 0003 of `basic`: a branch that has not merged 0002 yet.
pub mod gap {
    migrate::embed_migrations!("fixtures/gap", dialect = ["postgres", "mysql", "sqlite"]);
}

/// `basic` with CRLF line endings and a byte order mark.
pub mod crlf {
    migrate::embed_migrations!("fixtures/crlf", dialect = ["postgres", "mysql", "sqlite"]);
}

/// 0002 fails on its third statement, after creating a table.
pub mod failing {
    // `allow`: its failure is certain, and the runtime tests need it to happen at run time.
    migrate::embed_migrations!(
        "fixtures/failing",
        dialect = ["postgres", "mysql", "sqlite"],
        allow = ["missing"]
    );
}

/// 0002 is `CREATE INDEX CONCURRENTLY` under `-- migrate:no-transaction` (PostgreSQL).
pub mod no_transaction {
    migrate::embed_migrations!("fixtures/no_transaction", dialect = "postgres");
}

/// Eight migrations that each log themselves into `applied_log`.
pub mod concurrent {
    migrate::embed_migrations!(
        "fixtures/concurrent",
        dialect = ["postgres", "mysql", "sqlite"]
    );
}

/// 0002 sleeps for 3 s (PostgreSQL), to be cancelled mid-way.
pub mod slow {
    migrate::embed_migrations!("fixtures/slow", dialect = "postgres");
}

/// `failing` with its failing statement fixed (the statements before it unchanged).
pub mod failing_fixed {
    migrate::embed_migrations!(
        "fixtures/failing_fixed",
        dialect = ["postgres", "mysql", "sqlite"]
    );
}

/// `failing` "fixed" by also editing a statement that was already applied.
pub mod failing_bad_fix {
    migrate::embed_migrations!(
        "fixtures/failing_bad_fix",
        dialect = ["postgres", "mysql", "sqlite"]
    );
}

/// Slow migrations for the crash tests on PostgreSQL (one `no-transaction`).
pub mod crash_pg {
    migrate::embed_migrations!("fixtures/crash_pg", dialect = "postgres");
}

/// Slow migrations for the crash tests on MySQL/MariaDB.
pub mod crash_mysql {
    migrate::embed_migrations!("fixtures/crash_mysql", dialect = "mysql");
}

/// Slow migrations for the crash tests on SQLite.
pub mod crash_sqlite {
    migrate::embed_migrations!("fixtures/crash_sqlite", dialect = "sqlite");
}

/// 0002 inserts a row, sleeps for 3 s, then creates a table (MySQL/MariaDB).
pub mod slow_mysql {
    migrate::embed_migrations!("fixtures/slow_mysql", dialect = "mysql");
}

/// 0001, 0002 and 0004 are reversible; 0003 is not.
pub mod reversible {
    migrate::embed_migrations!(
        "fixtures/reversible",
        dialect = ["postgres", "mysql", "sqlite"]
    );
}

/// `reversible` with 0002's up file edited.
pub mod reversible_edited {
    migrate::embed_migrations!(
        "fixtures/reversible_edited",
        dialect = ["postgres", "mysql", "sqlite"]
    );
}

/// `reversible` without 0004: an older binary.
pub mod reversible_truncated {
    migrate::embed_migrations!(
        "fixtures/reversible_truncated",
        dialect = ["postgres", "mysql", "sqlite"]
    );
}

/// 0002 is written in Rust (a backfill with a function per database, reversible), between
/// two SQL migrations.
pub mod rust_code {
    migrate::embed_migrations!(
        "fixtures/rust_code",
        dialect = ["postgres", "mysql", "sqlite"]
    );
}

/// 0002 is written in Rust: it inserts a row, then returns an error.
pub mod rust_failing {
    migrate::embed_migrations!(
        "fixtures/rust_failing",
        dialect = ["postgres", "mysql", "sqlite"]
    );
}

/// 0002 is written in Rust for PostgreSQL only.
pub mod rust_postgres_only {
    migrate::embed_migrations!("fixtures/rust_postgres_only", dialect = "postgres");
}

/// What `migrate new backfill_things --rust --reversible` creates for SQLite: it must compile.
pub mod rust_template {
    migrate::embed_migrations!("fixtures/rust_template", dialect = "sqlite");
}

/// Thirty migrations of several statements for the stalled-lease tests on PostgreSQL (every
/// third `no-transaction`): each creates `t_<n>`, inserts 2,000 rows into it, sleeps 40 ms and
/// logs itself into `stall_log`.
pub mod stall_pg {
    migrate::embed_migrations!("fixtures/stall_pg", dialect = "postgres");
}

/// `stall_pg` for MySQL and MariaDB.
pub mod stall_mysql {
    migrate::embed_migrations!("fixtures/stall_mysql", dialect = "mysql");
}

/// Issue 12.2: 0001 creates `t1` and `t2`; its down file drops `t2`, then fails on a typo
/// (`DROP TABLE t1_typo`).
pub mod revert_typo {
    // `allow`: the runtime tests need the down script to fail at run time.
    migrate::embed_migrations!(
        "fixtures/revert_typo",
        dialect = ["postgres", "mysql", "sqlite"],
        allow = ["missing"]
    );
}

/// `revert_typo` with the typo of its down file fixed.
pub mod revert_typo_fixed {
    migrate::embed_migrations!(
        "fixtures/revert_typo_fixed",
        dialect = ["postgres", "mysql", "sqlite"]
    );
}

/// `revert_typo` with a `-- migrate:no-transaction` down file (PostgreSQL runs it statement
/// by statement).
pub mod revert_typo_no_tx {
    // `allow`: the runtime tests need the down script to fail at run time.
    migrate::embed_migrations!(
        "fixtures/revert_typo_no_tx",
        dialect = "postgres",
        allow = ["missing"]
    );
}

/// `revert_typo_no_tx` with the typo fixed.
pub mod revert_typo_no_tx_fixed {
    migrate::embed_migrations!("fixtures/revert_typo_no_tx_fixed", dialect = "postgres");
}

/// Issue 12.4: 0001 creates `parents` and `children` (with a foreign key; reversible);
/// 0002 logs step 1, inserts a child of parent 7, which does not exist, and logs step 2:
/// with foreign key checks on, its third statement fails although the file is right.
pub mod fk_retry {
    migrate::embed_migrations!(
        "fixtures/fk_retry",
        dialect = ["postgres", "mysql", "sqlite"]
    );
}

/// 0002 (46 lines) fails at line 39 on `CREATE INDEX … ON order_linez`, a table that does
/// not exist: PostgreSQL reports no position.
pub mod pg_unlocated_missing {
    // `allow`: the runtime tests need the failure at run time; the lint is not their subject.
    migrate::embed_migrations!(
        "fixtures/pg_unlocated_missing",
        dialect = "postgres",
        allow = ["missing", "missing-lock-timeout"]
    );
}

/// 0002 (46 lines) fails at line 39 creating `customers` again ("already exists").
pub mod pg_unlocated_duplicate {
    // `allow`: the runtime tests need the failure at run time; the lint is not their subject.
    migrate::embed_migrations!(
        "fixtures/pg_unlocated_duplicate",
        dialect = "postgres",
        allow = ["already-exists", "missing-lock-timeout"]
    );
}

/// 0002 (46 lines) fails at line 39 on an INSERT that violates a unique constraint.
pub mod pg_unlocated_unique {
    // `allow`: the lint is not what the runtime tests of this fixture are about.
    migrate::embed_migrations!(
        "fixtures/pg_unlocated_unique",
        dialect = "postgres",
        allow = ["missing-lock-timeout"]
    );
}

/// 0001 is reversible; its down script fails at line 8, dropping a column that does not
/// exist.
pub mod unlocated_down {
    // `allow`: the runtime tests need the down script to fail at run time.
    migrate::embed_migrations!(
        "fixtures/unlocated_down",
        dialect = ["postgres", "mysql", "sqlite"],
        allow = ["missing"]
    );
}

/// 0002 is `CREATE INDEX CONCURRENTLY` in a file without `-- migrate:no-transaction`.
pub mod concurrently_in_transaction {
    // `allow`: the runtime tests need the failure at run time.
    migrate::embed_migrations!(
        "fixtures/concurrently_in_transaction",
        dialect = "postgres",
        allow = ["needs-no-transaction"]
    );
}

/// One MySQL file: a table, then five INSERTs, the fourth a duplicate key (line 5).
pub mod group_failing_mysql {
    migrate::embed_migrations!("fixtures/group_failing_mysql", dialect = "mysql");
}

/// `group_failing_mysql` as a PostgreSQL `no-transaction` file (the duplicate on line 6).
pub mod group_failing_pg {
    migrate::embed_migrations!("fixtures/group_failing_pg", dialect = "postgres");
}

/// A PostgreSQL `no-transaction` file with transactions of its own: the second fails on a
/// duplicate key (line 9) and must roll back as a whole.
pub mod own_transaction_pg {
    migrate::embed_migrations!("fixtures/own_transaction_pg", dialect = "postgres");
}

/// A MySQL file with compound statements (a trigger and a procedure with `BEGIN … END`,
/// under `DELIMITER $$`), a `CALL` and INSERTs that fire the trigger.
pub mod mysql_compound {
    migrate::embed_migrations!("fixtures/mysql_compound", dialect = "mysql");
}

/// For `migrate lint` (tests/cli_lint.rs): 0002 is `CREATE INDEX CONCURRENTLY` in a file that runs
/// in a transaction (error `needs-no-transaction`, line 2), 0003 indexes `price`, which no
/// migration adds (error `missing`, line 2), 0004 updates every row (warning
/// `update-without-where`, line 1). Embedded without a dialect: with three database features
/// the build does not read the SQL (it warns so), and `migrate lint --dialect` does.
#[allow(deprecated)] // the build's warning that it does not read the SQL
pub mod lint_findings {
    migrate::embed_migrations!("fixtures/lint_findings");
}

/// For `migrate lint` (tests/cli_lint.rs): read as PostgreSQL by the build, which allows
/// `update-without-where` (0002 updates every row); 0003 drops a column (warning
/// `drop-column`, line 1).
#[allow(deprecated)] // the build's warnings are the lints `migrate lint` must report too
pub mod lint_allowed {
    migrate::embed_migrations!(
        "fixtures/lint_allowed",
        dialect = "postgres",
        allow = ["update-without-where"]
    );
}
