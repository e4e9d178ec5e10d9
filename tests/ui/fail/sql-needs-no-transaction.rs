// `CREATE INDEX CONCURRENTLY` in a file that runs in a transaction fails every time.
migrate::embed_migrations!("fixtures/sql-needs-no-transaction", dialect = "postgres");

fn main() {}
