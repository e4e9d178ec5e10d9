// Rule `update-without-where`: UPDATE without WHERE. With `lints = "deny"` the warning is a compile error.
migrate::embed_migrations!("fixtures/lint-update-without-where", dialect = "postgres", lints = "deny");

fn main() {}
