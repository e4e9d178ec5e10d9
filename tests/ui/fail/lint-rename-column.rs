// Rule `rename-column`: renaming a column the previous release may still use. With `lints = "deny"` the warning is a compile error.
migrate::embed_migrations!("fixtures/lint-rename-column", dialect = "postgres", lints = "deny");

fn main() {}
