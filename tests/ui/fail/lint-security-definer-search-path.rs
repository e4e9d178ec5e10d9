// Rule `security-definer-search-path`: a SECURITY DEFINER function without a fixed search_path. With `lints = "deny"` the warning is a compile error.
migrate::embed_migrations!("fixtures/lint-security-definer-search-path", dialect = "postgres", lints = "deny");

fn main() {}
