// A Rust migration whose function does not return a Result: the error points into the .rs file.
migrate::embed_migrations!("fixtures/rust-wrong-return", dialect = "postgres");

fn main() {}
