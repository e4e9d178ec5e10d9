// A migrations directory that does not exist is rejected.
migrate::embed_migrations!("fixtures/does-not-exist");

fn main() {}
