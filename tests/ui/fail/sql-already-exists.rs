// Two branches both created `memories`; after the merge the second CREATE TABLE fails.
migrate::embed_migrations!("fixtures/sql-already-exists", dialect = "postgres");

fn main() {}
