// A .rs migration that does not parse: the compiler's error points into the file.
migrate::embed_migrations!("fixtures/rust-syntax-error");

fn main() {}
