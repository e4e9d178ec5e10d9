//! Helper for build scripts: rebuild when a migration file is **added**.
//!
//! `embed_migrations!` reads every file with `include_str!`, so cargo rebuilds when a
//! migration is edited. Stable Rust gives a macro no way to watch a directory, though, so a
//! new file goes unnoticed until something else changes, unless a build script tells cargo
//! to watch the directory:
//!
//! ```toml
//! # Cargo.toml
//! [build-dependencies]
//! migrate = { package = "checked-migrations", version = "0.1", default-features = false }
//! ```
//!
//! ```no_run
//! # extern crate checked_migrations as migrate; // users name the dependency `migrate`
//! // build.rs
//! fn main() {
//!     migrate::build::track("migrations");
//! }
//! ```
//!
//! With `default-features = false` the build dependency compiles only this module and the
//! part of `migrate-runtime` that reads migration files (no database backend).
//! `embed_migrations!` warns at compile time when the crate has no build script that tracks
//! its directory.
//!
//! Note that a build script that prints any `rerun-if-changed` line is rerun only for the
//! paths it names; if your build script relied on cargo's default of rerunning on any change
//! in the package, name those paths too.

// The example above is a whole build script, so its `fn main` is the point.
#![allow(clippy::needless_doctest_main)]

use std::path::Path;

use migrate_runtime::source::tracked;

/// Tells cargo to rerun the build (and so the macro) when anything in `dir` changes, and
/// records `dir` as tracked for `embed_migrations!`. `dir` is relative to the crate's
/// `Cargo.toml`, as in the macro call. Call it from `build.rs`, once per directory.
pub fn track(dir: impl AsRef<Path>) {
    let dir = dir.as_ref();
    println!("cargo:rerun-if-changed={}", dir.display());
    if let Err(message) = record(dir) {
        println!(
            "cargo:warning=migrate::build::track({}): {message}",
            dir.display()
        );
    }
}

fn record(dir: &Path) -> Result<(), String> {
    let out_dir =
        std::env::var_os("OUT_DIR").ok_or("OUT_DIR is not set: call this from build.rs")?;
    let manifest_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").ok_or("CARGO_MANIFEST_DIR is not set")?;
    tracked::record(Path::new(&out_dir), Path::new(&manifest_dir), dir)
}
