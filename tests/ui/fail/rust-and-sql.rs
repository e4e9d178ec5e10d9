// A Rust migration with a .down.sql file, and a version that is both Rust and SQL.
migrate::embed_migrations!("fixtures/rust-and-sql");

fn main() {}
