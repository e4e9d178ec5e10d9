// Rule `unique-without-index`: a UNIQUE constraint that builds its index under the table's lock. With `lints = "deny"` the warning is a compile error.
migrate::embed_migrations!("fixtures/lint-unique-without-index", dialect = "postgres", lints = "deny");

fn main() {}
