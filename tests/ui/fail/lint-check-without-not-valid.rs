// Rule `check-without-not-valid`: a CHECK added to an existing table without NOT VALID. With `lints = "deny"` the warning is a compile error.
migrate::embed_migrations!("fixtures/lint-check-without-not-valid", dialect = "postgres", lints = "deny");

fn main() {}
