// A column no migration adds (`memories.source`) and a table no migration creates
// (`memory_tags`): both certain failures, both reported in one build, each at its name.
migrate::embed_migrations!("fixtures/sql-missing", dialect = "postgres");

fn main() {}
