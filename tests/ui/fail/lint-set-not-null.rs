// Rule `set-not-null`: SET NOT NULL on an existing table. With `lints = "deny"` the warning is a compile error.
migrate::embed_migrations!("fixtures/lint-set-not-null", dialect = "postgres", lints = "deny");

fn main() {}
