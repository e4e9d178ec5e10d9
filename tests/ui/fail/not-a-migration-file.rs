// A file that is not a migration (`notes.txt`) is rejected; `README.md` and `0001_init.sql~` are ignored.
migrate::embed_migrations!("fixtures/not-a-migration-file");

fn main() {}
