// A directory without migrations (only a hidden `.gitkeep`, which is ignored) is rejected.
migrate::embed_migrations!("fixtures/empty-directory");

fn main() {}
