// A `.down.sql` file without its `.up.sql` is rejected.
migrate::embed_migrations!("fixtures/orphan-down");

fn main() {}
