//! The embedded CLI, for tests/cli.rs: over the `reversible` fixture, or the fixture named by
//! `MIGRATE_TEST_FIXTURE` (`revert_typo`, `fk_retry`, `lint_findings`, `lint_allowed`).
use migrate_tests::fixtures;

fn main() -> std::process::ExitCode {
    let migrations = match std::env::var("MIGRATE_TEST_FIXTURE").as_deref() {
        Ok("revert_typo") => &fixtures::revert_typo::migrations::MIGRATIONS,
        Ok("fk_retry") => &fixtures::fk_retry::migrations::MIGRATIONS,
        Ok("lint_findings") => &fixtures::lint_findings::migrations::MIGRATIONS,
        Ok("lint_allowed") => &fixtures::lint_allowed::migrations::MIGRATIONS,
        _ => &fixtures::reversible::migrations::MIGRATIONS,
    };
    migrate::cli::main(migrations)
}
