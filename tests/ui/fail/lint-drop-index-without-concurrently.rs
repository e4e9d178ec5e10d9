// Rule `drop-index-without-concurrently`: a plain DROP INDEX of an index of an existing table. With `lints = "deny"` the warning is a compile error.
migrate::embed_migrations!("fixtures/lint-drop-index-without-concurrently", dialect = "postgres", lints = "deny");

fn main() {}
