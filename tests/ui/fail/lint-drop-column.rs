// Rule `drop-column`: DROP COLUMN of a column the previous release may still use. With `lints = "deny"` the warning is a compile error.
migrate::embed_migrations!("fixtures/lint-drop-column", dialect = "postgres", lints = "deny");

fn main() {}
