//! Compile-time behaviour of `embed_migrations!`: one compile-fail case per rule in
//! `ui/fail/`, each with its fixture directory in `ui/fixtures/<case>/` and its expected
//! compiler output in `ui/fail/<case>.stderr`; and the cases that must compile in `ui/pass/`.
//!
//! trybuild compiles each case in its own project under `<target>/tests/trybuild/migrate-tests/`,
//! which is then `CARGO_MANIFEST_DIR` for the macro. A `fixtures` link there, pointing to
//! `ui/fixtures`, lets the cases name their directories as `"fixtures/<case>"`.

use std::path::{Path, PathBuf};

fn trybuild_project_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        // <target>/<profile>/deps/<test binary>
        None => std::env::current_exe()
            .expect("path of the test binary")
            .ancestors()
            .nth(3)
            .expect("target directory above the test binary")
            .to_path_buf(),
    };
    let target = if target.is_absolute() {
        target
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(target)
    };
    target
        .join("tests")
        .join("trybuild")
        .join(env!("CARGO_PKG_NAME"))
}

fn link_fixtures() {
    let project = trybuild_project_dir();
    std::fs::create_dir_all(&project).expect("create the trybuild project directory");
    let link = project.join("fixtures");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("ui")
        .join("fixtures");
    if std::fs::read_link(&link).ok().as_deref() != Some(fixtures.as_path()) {
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&fixtures, &link).expect("link the UI fixtures");
    }
}

#[test]
fn ui() {
    link_fixtures();
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/fail/*.rs");
    cases.pass("ui/pass/*.rs");
}
