//! The real-world corpus beside the repository (`<repository>/../shared/corpus`) that
//! `corpus.rs`, `split.rs`, `testing_bench.rs`, `lints_corpus.rs` and part of
//! `testing_reversible.rs` need (and `analysis_never_panics.rs` reads when it is there). A
//! fresh clone has none: `build.rs` then leaves `cfg(corpus)` unset and those tests are not
//! compiled. This test says so, and fails when `CI` is set, where they must run.

#[test]
fn corpus_is_present_or_skipped_outside_ci() {
    if cfg!(corpus) {
        return;
    }
    let message = format!(
        "skipped: ../shared/corpus not found beside the repository; the corpus tests (corpus.rs, \
         split.rs, testing_bench.rs, lints_corpus.rs, the corpus checks of testing_reversible.rs) \
         were not compiled, and analysis_never_panics.rs mutates only this repository's SQL. \
         Put the corpus at {}/../../shared/corpus, then `touch tests/build.rs` and run again",
        env!("CARGO_MANIFEST_DIR")
    );
    if std::env::var_os("CI").is_some_and(|ci| !ci.is_empty()) {
        panic!("{message} (CI is set: there they must run)");
    }
    eprintln!("{message}");
}
