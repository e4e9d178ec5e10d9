// Two #[migrate::up] functions for the same database in one file.
migrate::embed_migrations!("fixtures/rust-same-connection");

fn main() {}
