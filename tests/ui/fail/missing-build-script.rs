// Without a build script that tracks the directory, the macro warns that new migrations are not picked up.
#![deny(deprecated)]

migrate::embed_migrations!("fixtures/valid", dialect = "sqlite");

fn main() {}
