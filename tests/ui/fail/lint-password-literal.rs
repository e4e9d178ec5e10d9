// Rule `password-literal`: a password literal (the message shows it as '…'). With `lints = "deny"` the warning is a compile error.
migrate::embed_migrations!("fixtures/lint-password-literal", dialect = "postgres", lints = "deny");

fn main() {}
