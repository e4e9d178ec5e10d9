// A folder inside the migrations directory (`seeds/`) is rejected.
migrate::embed_migrations!("fixtures/subdirectory");

fn main() {}
