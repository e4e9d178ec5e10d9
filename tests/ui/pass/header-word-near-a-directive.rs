// A header comment that is an ordinary word close to a directive (`-- Transaction`) is prose,
// not a misspelled `no-transaction`: the file compiles and runs in a transaction.
migrate::embed_migrations!("fixtures/header-word-near-a-directive");

fn main() {
    assert!(!migrations::V1_CREATE_PAYMENTS.up().no_transaction());
}
