// A down script is checked against the schema after its up: it drops a column the up
// never added.
migrate::embed_migrations!("fixtures/sql-down-script", dialect = "postgres");

fn main() {}
