// A version that has both a simple `.sql` file and an `.up.sql`/`.down.sql` pair is rejected.
migrate::embed_migrations!("fixtures/simple-and-reversible");

fn main() {}
