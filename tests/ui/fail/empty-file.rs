// Empty and whitespace-only migration files are rejected.
migrate::embed_migrations!("fixtures/empty-file");

fn main() {}
