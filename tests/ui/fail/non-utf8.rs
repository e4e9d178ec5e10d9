// Migration files that are not valid UTF-8 (Latin-1, UTF-16) are rejected.
migrate::embed_migrations!("fixtures/non-utf8");

fn main() {}
