// Every problem in a directory (duplicate version, orphan down file, empty file) is reported in one build.
migrate::embed_migrations!("fixtures/many-problems");

fn main() {}
