// A Rust migration function that is not async: the error points at it in the .rs file.
migrate::embed_migrations!("fixtures/rust-not-async", dialect = "postgres");

fn main() {}
