// On SQLite the macro runs the migrations (up, down, up again) on an in-memory database: a
// down script that SQLite rejects, here MySQL's `ALTER TABLE … DROP INDEX`, is a compile
// error at its line and column, with SQLite's own message.
migrate::embed_migrations!("fixtures/engine-down-script", dialect = "sqlite");

fn main() {}
