// Rule `delete-without-where`: DELETE without WHERE. With `lints = "deny"` the warning is a compile error.
migrate::embed_migrations!("fixtures/lint-delete-without-where", dialect = "postgres", lints = "deny");

fn main() {}
