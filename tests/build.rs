//! Tracks the fixture directories, and sets `cfg(corpus)` when the real-world corpus is there.
//!
//! The corpus lives beside the repository (`<repository>/../shared/corpus`), not in it, so a
//! fresh clone has none: the tests that embed or read it are compiled only under
//! `cfg(corpus)`, and `corpus_present.rs` says that they were left out (and fails in CI).

use std::path::Path;

/// The corpus, relative to this crate's `Cargo.toml` (as `embed_migrations!` paths are).
const CORPUS: &str = "../../shared/corpus";

fn main() {
    println!("cargo::rustc-check-cfg=cfg(corpus)");
    println!("cargo::rerun-if-changed=build.rs");
    migrate::build::track("fixtures");
    migrate::build::track("../migrations");
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo");
    if Path::new(&manifest_dir).join(CORPUS).is_dir() {
        // Also `cargo::rerun-if-changed` on the directory.
        migrate::build::track(CORPUS);
        println!("cargo::rustc-cfg=corpus");
    } else {
        // Nothing to watch: a missing path would make cargo rerun this script, and rebuild
        // every test, on every build. After adding the corpus, `touch tests/build.rs`.
        println!(
            "cargo::warning=skipped: ../shared/corpus not found beside the repository; the tests that use it are not compiled (see tests/corpus_present.rs)"
        );
    }
}
