//! The macro and the runtime agree: what `embed_migrations!` generates for a fixture is what
//! the runtime computes from the same files. Also checks that the expansion compiles without
//! warnings under `deny(warnings)` when a build script tracks the directory.

#![deny(warnings)]

use std::path::Path;

migrate::embed_migrations!("fixtures/basic", dialect = ["postgres", "mysql", "sqlite"]);

mod crlf {
    migrate::embed_migrations!("fixtures/crlf", dialect = ["postgres", "mysql", "sqlite"]);
}

mod no_transaction {
    migrate::embed_migrations!("fixtures/no_transaction", dialect = "postgres");
}

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/basic")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

#[test]
fn generated_list_matches_the_files() {
    let list: Vec<_> = migrations::MIGRATIONS
        .iter()
        .map(|m| (m.version(), m.name(), m.up().file()))
        .collect();
    assert_eq!(
        list,
        [
            (1, "create_items", "0001_create_items.sql"),
            (2, "add_price", "0002_add_price.up.sql"),
            (3, "seed_items", "0003_seed_items.sql"),
        ]
    );
    for migration in migrations::MIGRATIONS.iter() {
        let bytes = fixture(migration.up().file());
        assert_eq!(
            migration.checksum(),
            &migrate::checksum(&bytes),
            "{}",
            migration.up().file()
        );
        assert_eq!(migration.up().sql().as_bytes(), &bytes[..]);
    }
    let v2 = &migrations::V2_ADD_PRICE;
    let down = v2.down().expect("0002 is reversible");
    assert_eq!(down.file(), "0002_add_price.down.sql");
    assert_eq!(
        down.sql().as_bytes(),
        &fixture("0002_add_price.down.sql")[..]
    );
    assert!(!migrations::V1_CREATE_ITEMS.is_reversible());
    assert_eq!(
        migrations::MIGRATIONS.get(3).map(|m| m.name()),
        Some("seed_items")
    );
    assert!(migrations::MIGRATIONS.get(4).is_none());
}

#[test]
fn crlf_and_bom_do_not_change_checksums() {
    let basic: Vec<_> = migrations::MIGRATIONS
        .iter()
        .map(|m| *m.checksum())
        .collect();
    let crlf: Vec<_> = crlf::migrations::MIGRATIONS
        .iter()
        .map(|m| *m.checksum())
        .collect();
    assert_eq!(basic, crlf);
    let raw = crlf::migrations::V1_CREATE_ITEMS.up().sql();
    assert!(
        raw.contains("\r\n") && !raw.starts_with('\u{feff}'),
        "the BOM is stripped, CRLF kept"
    );
}

#[test]
fn directives_reach_the_runtime() {
    assert!(!no_transaction::migrations::V1_CREATE_DOCS
        .up()
        .no_transaction());
    assert!(no_transaction::migrations::V2_INDEX_DOCS
        .up()
        .no_transaction());
}
