//! The analysis on the real-world corpus (`../shared/corpus`): every up file there applies
//! cleanly on its database, and so does every down file right after its up except the few
//! that each SOURCE.md documents as broken ([`BROKEN`]), so the analysis must find no error
//! anywhere else. Its warnings (and the errors in the broken files) are the report
//! `docs/lints-on-real-migrations.md`, generated here: the test fails when the committed
//! report differs, and `MIGRATE_BLESS=1` rewrites it.
//!
//! Each directory is read in its tool's layout and order (sqlx, diesel, refinery; see
//! `migrate_tests::corpus`), since the macro reads only sqlx's.
#![cfg(corpus)] // only when ../shared/corpus is there: see corpus_present.rs

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use migrate::lint::{analyze_files, Dialect, Finding, Settings, Severity};
use migrate_tests::corpus::{self, Directory, Layout};

/// The report, relative to this crate's `Cargo.toml`.
const REPORT: &str = "../docs/lints-on-real-migrations.md";

/// Down files that fail on their database right after their up, as the directory's
/// SOURCE.md documents (directory, file, why): an error in one of them is true. The down
/// files of crates-io that fail only in a full revert chain (a later down recreated an object
/// under another name) are not here: read right after their up, they are right.
const BROKEN: &[(&str, &str, &str)] = &[
    (
        "atuin-scripts-sqlite",
        "20250402170430_unique_names.down.sql",
        "MySQL's `ALTER TABLE … DROP INDEX`, which SQLite does not have",
    ),
    (
        "crates-io",
        "2024-10-25-112826_make-unique-version-unique/down.sql",
        "drops a unique index as if it were a constraint",
    ),
    (
        "crates-io",
        "2024-04-12-144536_remove-downloads-column/down.sql",
        "`CREATE INDEX CONCURRENTLY` in a migration that runs in a transaction",
    ),
    (
        "crates-io",
        "20170318181441_downloads_need_no_id/down.sql",
        "its first statement lacks its `;`",
    ),
];

/// Why `file` of `directory` is in [`BROKEN`], if it is.
fn broken(directory: &str, file: &str) -> Option<&'static str> {
    BROKEN
        .iter()
        .find(|(d, f, _)| *d == directory && *f == file)
        .map(|(_, _, why)| *why)
}

/// One directory's findings.
struct Analyzed<'a> {
    directory: &'a Directory,
    findings: Vec<Finding>,
    elapsed: Duration,
}

#[test]
fn the_corpus_has_no_errors_and_its_warnings_are_reported() {
    let Some(root) = corpus::root() else {
        panic!("cfg(corpus) is set, but ../shared/corpus is gone: `touch tests/build.rs`");
    };
    let directories = corpus::directories(&root).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !directories.is_empty(),
        "no directory in {}",
        root.display()
    );
    let analyzed: Vec<Analyzed> = directories.iter().map(analyze).collect();
    for one in &analyzed {
        println!(
            "{}: {} files analyzed in {:.1} ms ({} findings)",
            one.directory.name,
            one.directory.files.len(),
            one.elapsed.as_secs_f64() * 1000.0,
            one.findings.len()
        );
    }

    let errors: Vec<String> = analyzed
        .iter()
        .flat_map(|one| {
            errors(one)
                .into_iter()
                .filter(|f| broken(&one.directory.name, &f.file).is_none())
                .map(move |f| format!("{} ({}): {f}", one.directory.name, f.code()))
        })
        .collect();
    assert!(
        errors.is_empty(),
        "{} error(s) in migrations that apply cleanly on their database (false errors):\n\n{}",
        errors.len(),
        errors.join("\n\n")
    );

    let report = render(&analyzed);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(REPORT);
    if std::env::var_os("MIGRATE_BLESS").is_some_and(|v| v == "1") {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        }
        std::fs::write(&path, &report).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        println!("wrote {}", path.display());
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != report {
        let line = committed
            .lines()
            .zip(report.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| committed.lines().count().min(report.lines().count()));
        panic!(
            "docs/lints-on-real-migrations.md is not what the analysis reports now (first difference at line {}: committed {:?}, generated {:?}); run with MIGRATE_BLESS=1 to rewrite it, and review the diff",
            line + 1,
            committed.lines().nth(line).unwrap_or("<end of file>"),
            report.lines().nth(line).unwrap_or("<end of file>"),
        );
    }
}

fn analyze(directory: &Directory) -> Analyzed<'_> {
    let files = directory.analysis_files();
    let start = Instant::now();
    let findings = analyze_files(&files, directory.dialect, &Settings::default());
    Analyzed {
        directory,
        findings,
        elapsed: start.elapsed(),
    }
}

/// The Markdown report: a table of the directories, then per directory the warnings per
/// rule and every warning. Nothing in it depends on the machine or the time.
fn render(analyzed: &[Analyzed]) -> String {
    let mut out = String::new();
    out.push_str(
        "# Lints on real migrations\n\n\
         Generated by `tests/lints_corpus.rs` from the real-world corpus beside the repository \
         (`../shared/corpus`; each directory's `SOURCE.md` names its project, layout and \
         database). Every directory applies cleanly on its database, so the analysis must \
         find no error in it, and the test fails if it does; the exceptions are a few down \
         files that the `SOURCE.md` documents as broken, whose errors are listed. The \
         warnings are lints of risky statements, not mistakes. The test fails when this file \
         differs from what the analysis reports; `MIGRATE_BLESS=1 cargo test -p \
         migrate-tests --test lints_corpus` rewrites it.\n\n",
    );
    out.push_str("| directory | layout | dialect | files | warnings | errors in broken files |\n");
    out.push_str("| --- | --- | --- | ---: | ---: | ---: |\n");
    let mut total: BTreeMap<&str, usize> = BTreeMap::new();
    for one in analyzed {
        let warnings = warnings(one);
        for warning in &warnings {
            *total.entry(warning.code()).or_default() += 1;
        }
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            one.directory.name,
            layout_name(one.directory.layout),
            dialect_name(one.directory.dialect),
            one.directory.files.len(),
            warnings.len(),
            errors(one).len()
        );
    }
    out.push_str("\n## Warnings per rule, all directories\n\n");
    rule_table(&mut out, &total);
    for one in analyzed {
        let _ = write!(out, "\n## {}\n\n", one.directory.name);
        let warnings = warnings(one);
        let mut per_rule: BTreeMap<&str, usize> = BTreeMap::new();
        for warning in &warnings {
            *per_rule.entry(warning.code()).or_default() += 1;
        }
        rule_table(&mut out, &per_rule);
        if !warnings.is_empty() {
            out.push('\n');
        }
        for warning in warnings {
            let _ = writeln!(
                out,
                "- {}:{} {}: {}",
                code_span(&warning.file),
                warning.line,
                warning.code(),
                code_span(&warning.statement)
            );
        }
        let errors = errors(one);
        if !errors.is_empty() {
            out.push_str("\nErrors in files the `SOURCE.md` documents as broken:\n\n");
        }
        for error in errors {
            let _ = writeln!(
                out,
                "- {}:{} {}: {} ({})",
                code_span(&error.file),
                error.line,
                error.code(),
                code_span(&error.statement),
                broken(&one.directory.name, &error.file).unwrap_or("not documented")
            );
        }
    }
    out
}

fn errors<'a>(one: &'a Analyzed) -> Vec<&'a Finding> {
    one.findings
        .iter()
        .filter(|f| f.severity() == Severity::Error)
        .collect()
}

fn warnings<'a>(one: &'a Analyzed) -> Vec<&'a Finding> {
    one.findings
        .iter()
        .filter(|f| f.severity() == Severity::Warning)
        .collect()
}

fn rule_table(out: &mut String, counts: &BTreeMap<&str, usize>) {
    if counts.is_empty() {
        out.push_str("No warnings.\n");
        return;
    }
    out.push_str("| rule | warnings |\n| --- | ---: |\n");
    for (rule, count) in counts {
        let _ = writeln!(out, "| {rule} | {count} |");
    }
}

/// `text` as a Markdown code span: fenced by one more backtick than its longest run, padded
/// when it starts or ends with one.
fn code_span(text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

fn layout_name(layout: Layout) -> &'static str {
    match layout {
        Layout::Sqlx => "sqlx",
        Layout::Diesel => "diesel",
        Layout::Refinery => "refinery",
    }
}

fn dialect_name(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "PostgreSQL",
        Dialect::MySql => "MySQL",
        Dialect::Sqlite => "SQLite",
        _ => "other",
    }
}

#[test]
fn code_spans_hold_backticks() {
    assert_eq!(code_span("DROP TABLE t"), "`DROP TABLE t`");
    assert_eq!(code_span("ALTER TABLE `t`"), "`` ALTER TABLE `t` ``");
    assert_eq!(code_span("a ``b`` c"), "```a ``b`` c```");
}

/// The reader sees what each SOURCE.md says the directory holds, in its tool's order.
#[test]
fn the_corpus_is_read_in_the_order_of_its_tools() {
    let Some(root) = corpus::root() else {
        panic!("cfg(corpus) is set, but ../shared/corpus is gone: `touch tests/build.rs`");
    };
    let directories = corpus::directories(&root).unwrap_or_else(|e| panic!("{e}"));
    let find = |name: &str| {
        directories
            .iter()
            .find(|d| d.name == name)
            .unwrap_or_else(|| panic!("no {name} in the corpus"))
    };
    let names = |directory: &Directory| -> Vec<String> {
        directory.files.iter().map(|f| f.name.clone()).collect()
    };

    let crates_io = find("crates-io");
    assert_eq!(
        (crates_io.layout, crates_io.dialect),
        (Layout::Diesel, Dialect::Postgres)
    );
    let ups: Vec<_> = crates_io
        .files
        .iter()
        .filter(|f| f.role == corpus::Role::Up)
        .collect();
    assert_eq!((ups.len(), crates_io.files.len()), (285, 570));
    assert_eq!(ups[0].name, "00000000000000_diesel_initial_setup/up.sql");
    assert_eq!(ups.iter().filter(|f| !f.transaction).count(), 7);
    // Diesel compares versions as strings: `20260527120000` before `202605271200000000`.
    let crates_io_names = names(crates_io);
    let position = |name: &str| crates_io_names.iter().position(|n| n == name);
    assert_eq!(
        position("2026-05-27-120000_add_username_to_users/up.sql").map(|p| p + 2),
        position("2026-05-27-120000-0000_semver_ord_v2_not_null/up.sql")
    );

    let rauthy = find("rauthy-postgres");
    assert_eq!(
        (rauthy.layout, rauthy.dialect),
        (Layout::Refinery, Dialect::Postgres)
    );
    let rauthy_names = names(rauthy);
    assert_eq!(rauthy_names.len(), 26);
    assert_eq!(
        rauthy_names.first().map(String::as_str),
        Some("V1__init_schema.sql")
    );
    assert_eq!(
        rauthy_names.last().map(String::as_str),
        Some("V26__client_resource_indicators.sql")
    );

    let scripts = find("atuin-scripts-sqlite");
    assert_eq!(
        (scripts.layout, scripts.dialect),
        (Layout::Sqlx, Dialect::Sqlite)
    );
    assert_eq!(
        names(scripts),
        [
            "20250326160051_create_scripts.up.sql",
            "20250326160051_create_scripts.down.sql",
            "20250402170430_unique_names.up.sql",
            "20250402170430_unique_names.down.sql",
        ]
    );
    let alexandrie = find("alexandrie-mysql");
    assert_eq!(
        (alexandrie.dialect, alexandrie.files.len()),
        (Dialect::MySql, 10)
    );

    for (directory, file, _) in BROKEN {
        assert!(
            find(directory).files.iter().any(|f| f.name == *file),
            "BROKEN names {directory}/{file}, which the corpus does not have"
        );
    }
}
