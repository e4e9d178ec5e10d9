// Rule `column-type-change`: a column type change that rewrites an existing table. With `lints = "deny"` the warning is a compile error.
migrate::embed_migrations!("fixtures/lint-column-type-change", dialect = "postgres", lints = "deny");

fn main() {}
