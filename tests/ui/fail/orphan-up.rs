// An `.up.sql` file without its `.down.sql` is rejected.
migrate::embed_migrations!("fixtures/orphan-up");

fn main() {}
