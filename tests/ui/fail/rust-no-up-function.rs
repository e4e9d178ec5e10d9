// A .rs file without a #[migrate::up] function (one forgot the attribute, one has no function).
migrate::embed_migrations!("fixtures/rust-no-up-function");

fn main() {}
