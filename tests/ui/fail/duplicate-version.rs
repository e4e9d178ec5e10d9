// Two migrations with the same version (`024_add_a.sql` and `24_add_b.sql`, both 24; a pair and a simple file at 3) are rejected, each named by all of its files.
migrate::embed_migrations!("fixtures/duplicate-version");

fn main() {}
