// File names that are not `<version>_<description>.sql` are rejected, all in one build.
migrate::embed_migrations!("fixtures/unparsable-name");

fn main() {}
