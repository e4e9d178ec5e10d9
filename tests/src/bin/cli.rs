//! The embedded CLI over the `reversible` fixture, for tests/cli.rs.
fn main() -> std::process::ExitCode {
    migrate::cli::main(&migrate_tests::fixtures::reversible::migrations::MIGRATIONS)
}
