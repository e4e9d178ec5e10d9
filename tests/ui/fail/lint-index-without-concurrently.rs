// Rule `index-without-concurrently`: a plain CREATE INDEX on a table that existed before this migration. With `lints = "deny"` the warning is a compile error.
migrate::embed_migrations!("fixtures/lint-index-without-concurrently", dialect = "postgres", lints = "deny");

fn main() {}
