// `lints_from = 3`: migrations before version 3 are not linted (errors still count); under
// `lints = "deny"`, the lint of 0002 would fail the build otherwise.
migrate::embed_migrations!(
    "fixtures/sql-lints-from",
    dialect = "postgres",
    lints = "deny",
    lints_from = 3
);

fn main() {
    assert_eq!(migrations::MIGRATIONS.lints_from(), Some(3));
}
