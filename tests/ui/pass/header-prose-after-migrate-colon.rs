// `-- migrate: add the users table` is prose, not an unknown directive: a directive is one
// token right after `migrate:`.
migrate::embed_migrations!("fixtures/header-prose-after-migrate-colon");

fn main() {
    assert!(!migrations::V1_CREATE_USERS.up().no_transaction());
}
