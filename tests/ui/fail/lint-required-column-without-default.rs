// Rule `required-column-without-default`: a NOT NULL column without a default added to an existing table. With `lints = "deny"` the warning is a compile error.
migrate::embed_migrations!("fixtures/lint-required-column-without-default", dialect = "postgres", lints = "deny");

fn main() {}
