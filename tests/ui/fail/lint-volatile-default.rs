// Rule `volatile-default`: a column with a volatile default added to an existing table. With `lints = "deny"` the warning is a compile error.
migrate::embed_migrations!("fixtures/lint-volatile-default", dialect = "postgres", lints = "deny");

fn main() {}
