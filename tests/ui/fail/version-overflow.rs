// A version that does not fit a signed 64-bit integer is rejected.
migrate::embed_migrations!("fixtures/version-overflow");

fn main() {}
