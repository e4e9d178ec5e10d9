// Two files with the same version (`024_add_a.sql` and `24_add_b.sql`, both 24) are rejected.
migrate::embed_migrations!("fixtures/duplicate-version");

fn main() {}
