//! The embedded CLI's `lint` command, run as a subprocess: the dialect it chooses, the
//! findings it reports in text and JSON, the macro call's allowed rules, and its exit codes.
//! It needs no database.

use std::process::Output;

use migrate::lint::Dialect;
use migrate_tests::fixtures;
use serde_json::Value;

/// `migrate-test-cli` over `fixture`, with `DATABASE_URL` set to `url` or unset.
fn lint(fixture: &str, url: Option<&str>, args: &[&str]) -> Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_migrate-test-cli"));
    command
        .arg("lint")
        .args(args)
        .env("MIGRATE_TEST_FIXTURE", fixture);
    match url {
        Some(url) => command.env("DATABASE_URL", url),
        None => command.env_remove("DATABASE_URL"),
    };
    command.output().expect("run the CLI")
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(output)))
}

/// The findings of a `--json` report with `kind`, as (code, file, line).
fn findings<'a>(report: &'a Value, kind: &str) -> Vec<(&'a str, &'a str, u64)> {
    report["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("no findings array: {report}"))
        .iter()
        .filter(|finding| finding["kind"] == kind)
        .map(|finding| {
            (
                finding["code"].as_str().unwrap_or_default(),
                finding["file"].as_str().unwrap_or_default(),
                finding["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

/// The text of a fixture's file.
fn fixture_file(fixture: &str, file: &str) -> String {
    let path = format!("{}/fixtures/{fixture}/{file}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

/// Every finding of a `--json` report names a file of `fixture`, and a line and column that
/// lie inside it; it has a statement, a message and a fix.
fn assert_positions_inside(fixture: &str, report: &Value) {
    for finding in report["findings"].as_array().into_iter().flatten() {
        let file = finding["file"].as_str().unwrap_or_default();
        let content = fixture_file(fixture, file);
        let line = finding["line"].as_u64().unwrap_or(0) as usize;
        let column = finding["column"].as_u64().unwrap_or(0) as usize;
        let text = content
            .lines()
            .nth(line.wrapping_sub(1))
            .unwrap_or_else(|| panic!("line {line} is not in {file}: {finding}"));
        assert!(
            (1..=text.chars().count()).contains(&column),
            "column {column} is not in line {line} of {file} ({text:?}): {finding}"
        );
        for field in ["statement", "message", "fix"] {
            assert!(
                finding[field].as_str().is_some_and(|s| !s.is_empty()),
                "{field}: {finding}"
            );
        }
    }
}

#[test]
fn errors_and_warnings_read_as_the_dialect_given_exit_with_5() {
    let output = lint("lint_findings", None, &["--dialect", "postgres"]);
    let shown = text(&output);
    // Waits for the analysis (`analyze_files`) to land: until then it finds nothing.
    assert_eq!(code(&output), 5, "{shown}");
    for expected in [
        "error[needs-no-transaction]: 0002_index_items.sql:2:",
        "error[missing]: 0003_index_price.sql:2:",
        "warning[update-without-where]: 0004_reset_names.sql:1:",
    ] {
        assert!(shown.contains(expected), "{expected} in\n{shown}");
    }
    let summary = shown.lines().last().unwrap_or_default();
    assert!(
        summary.starts_with("2 errors, ") && summary.ends_with("(SQL read as postgres)"),
        "{summary}"
    );
}

#[test]
fn the_json_report_has_every_finding() {
    let output = lint("lint_findings", None, &["--dialect", "postgres", "--json"]);
    let report = json(&output);
    assert_eq!(
        report["dialects"],
        serde_json::json!(["postgres"]),
        "{report}"
    );
    assert_positions_inside("lint_findings", &report);
    // Waits for the analysis to land.
    assert_eq!(
        findings(&report, "error"),
        [
            ("needs-no-transaction", "0002_index_items.sql", 2),
            ("missing", "0003_index_price.sql", 2),
        ],
        "{report}"
    );
    let missing = &report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["code"] == "missing")
        .cloned()
        .unwrap_or_default();
    assert!(
        missing["message"]
            .as_str()
            .is_some_and(|m| m.contains("price")),
        "{missing}"
    );
    assert_eq!(
        missing["statement"], "CREATE INDEX items_price ON items (price)",
        "{missing}"
    );
    assert!(
        findings(&report, "warning").contains(&("update-without-where", "0004_reset_names.sql", 1)),
        "{report}"
    );
    assert_eq!(report["errors"], 2, "{report}");
    assert_eq!(
        report["warnings"].as_u64(),
        Some(findings(&report, "warning").len() as u64),
        "{report}"
    );
    assert_eq!(code(&output), 5);
}

#[test]
fn the_dialect_comes_from_the_database_url_without_connecting() {
    // Nothing listens on port 1: `lint` does not connect.
    for (url, dialect) in [
        ("postgres://nobody@127.0.0.1:1/none", "postgres"),
        ("MariaDB://nobody@127.0.0.1:1/none", "mysql"),
        ("sqlite:/nonexistent/dir/db.sqlite", "sqlite"),
    ] {
        let report = json(&lint("lint_findings", Some(url), &["--json"]));
        assert_eq!(
            report["dialects"],
            serde_json::json!([dialect]),
            "{url}: {report}"
        );
    }
    // `--dialect` wins over the URL.
    let report = json(&lint(
        "lint_findings",
        Some("sqlite::memory:"),
        &["--json", "--dialect", "postgresql"],
    ));
    assert_eq!(
        report["dialects"],
        serde_json::json!(["postgres"]),
        "{report}"
    );
    // Waits for the analysis to land: read as PostgreSQL, the fixture has errors.
    let output = lint(
        "lint_findings",
        Some("postgres://nobody@127.0.0.1:1/none"),
        &[],
    );
    assert_eq!(code(&output), 5, "{}", text(&output));
}

#[test]
fn without_a_dialect_the_usage_error_names_the_option() {
    // The test crate enables three database features and the fixture's macro call names no
    // dialect: nothing says which one to read.
    for url in [None, Some("")] {
        let output = lint("lint_findings", url, &[]);
        assert_eq!(code(&output), 2, "{}", text(&output));
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("pass --dialect postgres"),
            "{}",
            text(&output)
        );
        assert!(output.stdout.is_empty(), "{}", text(&output));
    }
    let output = lint("lint_findings", Some("oracle://u@h/db"), &["--json"]);
    assert_eq!(code(&output), 2, "{}", text(&output));
    let error = json(&output);
    assert_eq!(error["error"]["kind"], "usage", "{error}");
    assert!(
        error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("scheme `oracle`") && m.contains("--dialect")),
        "{error}"
    );
    let output = lint("lint_findings", None, &["--dialect", "oracle"]);
    assert_eq!(code(&output), 2, "{}", text(&output));
}

#[test]
fn the_macro_call_records_its_dialect_and_allowed_rules() {
    let migrations = &fixtures::lint_allowed::migrations::MIGRATIONS;
    assert_eq!(migrations.dialects(), [Dialect::Postgres]);
    assert_eq!(migrations.allowed_lints(), ["update-without-where"]);
    let migrations = &fixtures::lint_findings::migrations::MIGRATIONS;
    assert!(migrations.dialects().is_empty());
    assert!(migrations.allowed_lints().is_empty());
}

#[test]
fn lint_reads_the_dialect_of_the_build_and_honours_its_allowed_rules() {
    // No URL, no --dialect: the macro call's `dialect = "postgres"`.
    for url in [None, Some("")] {
        let output = lint("lint_allowed", url, &["--json"]);
        let report = json(&output);
        assert_eq!(
            report["dialects"],
            serde_json::json!(["postgres"]),
            "{report}"
        );
        assert_eq!(report["errors"], 0, "{report}");
        assert_eq!(code(&output), 0, "{report}");
        assert!(
            findings(&report, "warning")
                .iter()
                .all(|(code, _, _)| *code != "update-without-where"),
            "the macro call allows update-without-where: {report}"
        );
        assert_positions_inside("lint_allowed", &report);
        // Waits for the analysis to land.
        assert!(
            findings(&report, "warning").contains(&("drop-column", "0003_drop_name.sql", 1)),
            "{report}"
        );
    }
    // Waits for the analysis to land: a warning fails only with --deny-warnings.
    let output = lint("lint_allowed", None, &["--deny-warnings"]);
    assert_eq!(code(&output), 5, "{}", text(&output));
    assert!(
        text(&output).contains("warning[drop-column]: 0003_drop_name.sql:1:"),
        "{}",
        text(&output)
    );
}
