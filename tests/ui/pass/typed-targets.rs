// A valid directory expands to a module whose items are typed targets.
migrate::embed_migrations!("fixtures/valid");

fn main() {
    let target: &'static migrate::Migration = &migrations::V2_ADD_PRICE;
    assert_eq!(target.version(), 2);
    assert!(target.is_reversible());
    assert_eq!(migrations::MIGRATIONS.len(), 3);
    assert_eq!(migrations::V3_SEED_ITEMS.up().file(), "0003_seed_items.sql");
}
