// Opt-outs: per statement (`-- migrate:allow drop-column`, `-- migrate:allow missing`) and
// per directory (`allow = [...]`); with `lints = "deny"`, any lint left would fail the build.
migrate::embed_migrations!(
    "fixtures/sql-allowed",
    dialect = "postgres",
    allow = ["delete-without-where"],
    lints = "deny"
);

fn main() {
    assert_eq!(migrations::MIGRATIONS.len(), 3);
}
