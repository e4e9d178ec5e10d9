// A path to a regular file instead of a directory is rejected.
migrate::embed_migrations!("fixtures/not-a-directory.sql");

fn main() {}
