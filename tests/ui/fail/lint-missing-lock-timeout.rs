// Rule `missing-lock-timeout`: locking DDL on an existing table without a lock timeout set before it. With `lints = "deny"` the warning is a compile error.
migrate::embed_migrations!("fixtures/lint-missing-lock-timeout", dialect = "postgres", lints = "deny");

fn main() {}
