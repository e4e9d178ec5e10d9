// A Rust migration whose function takes something other than a connection: the error points into the .rs file.
migrate::embed_migrations!("fixtures/rust-wrong-argument", dialect = "postgres");

fn main() {}
