// Rule `rename-table`: renaming a table the previous release may still use. With `lints = "deny"` the warning is a compile error.
migrate::embed_migrations!("fixtures/lint-rename-table", dialect = "postgres", lints = "deny");

fn main() {}
