// Unknown `-- migrate:` directives and misspelled directives in a file header are rejected.
migrate::embed_migrations!("fixtures/unknown-directive");

fn main() {}
