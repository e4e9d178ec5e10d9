// Rule `drop-table`: DROP TABLE of a table the previous release may still use. With `lints = "deny"` the warning is a compile error.
migrate::embed_migrations!("fixtures/lint-drop-table", dialect = "postgres", lints = "deny");

fn main() {}
