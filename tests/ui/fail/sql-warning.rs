// A lint is a warning: the deprecation note of a constant named after the rule (denied
// here to see it). The build-script hint is one too.
#![deny(deprecated)]

migrate::embed_migrations!("fixtures/sql-warning", dialect = "postgres");

fn main() {}
