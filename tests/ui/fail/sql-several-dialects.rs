// With several backend features and no `dialect`, the SQL is not read, and a warning says
// how to name the dialect (denied here to see it).
#![deny(deprecated)]

migrate::embed_migrations!("fixtures/sql-warning");

fn main() {}
