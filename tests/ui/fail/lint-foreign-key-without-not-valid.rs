// Rule `foreign-key-without-not-valid`: a foreign key added to an existing table without NOT VALID. With `lints = "deny"` the warning is a compile error.
migrate::embed_migrations!("fixtures/lint-foreign-key-without-not-valid", dialect = "postgres", lints = "deny");

fn main() {}
