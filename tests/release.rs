//! A release binary carries no absolute path of the build machine: it embeds its migrations
//! without the directory they came from, and the CLI's `new` then finds the directory from
//! the path written in the macro call, relative to the current directory.
//!
//! Builds a small application (outside the workspace, under `<target>/release-check/`) in
//! release and in debug mode, and searches the bytes of each binary for the absolute path of
//! its migrations directory: absent from the release binary, present in the debug one (which
//! shows that the search would find it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MAIN: &str = r#"migrate::embed_migrations!("migrations");

fn main() -> std::process::ExitCode {
    migrate::cli::main(&migrations::MIGRATIONS)
}
"#;

fn target_dir() -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| repo.join("target"), PathBuf::from);
    if target.is_absolute() {
        target
    } else {
        repo.join(target)
    }
}

/// Writes the application (unchanged files are left alone, so cargo rebuilds little).
fn write_app(root: &Path) -> PathBuf {
    let app = root.join("app");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .canonicalize()
        .expect("the repository");
    let manifest = format!(
        "[package]\nname = \"release-check\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [workspace]\n\n[dependencies]\nmigrate = {{ package = \"checked-migrations\", path = {repo:?}, features = [\"cli\"] }}\n"
    );
    let files = [
        ("Cargo.toml", manifest),
        ("src/main.rs", MAIN.to_owned()),
        (
            "migrations/0001_create_things.sql",
            "CREATE TABLE things (id INTEGER PRIMARY KEY);\n".to_owned(),
        ),
    ];
    for (name, content) in files {
        let path = app.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() != Some(content.as_str()) {
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("create the app");
            std::fs::write(&path, content).expect("write the app");
        }
    }
    // The workspace's versions, so that the build needs no network.
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock");
    if !app.join("Cargo.lock").exists() {
        std::fs::copy(lock, app.join("Cargo.lock")).expect("copy Cargo.lock");
    }
    app.canonicalize().expect("the app directory")
}

fn build(app: &Path, target: &Path, release: bool) -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .args(["build", "--offline", "--quiet", "--manifest-path"])
        .arg(app.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    if release {
        command.arg("--release");
    }
    let output = command.output().expect("run cargo");
    assert!(
        output.status.success(),
        "cargo build failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    target
        .join(if release { "release" } else { "debug" })
        .join("release-check")
}

fn contains(binary: &Path, needle: &str) -> bool {
    let bytes = std::fs::read(binary).expect("read the binary");
    bytes
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

fn run(binary: &Path, cwd: &Path, args: &[&str]) -> Output {
    Command::new(binary)
        .args(args)
        .current_dir(cwd)
        .env_remove("DATABASE_URL")
        .output()
        .expect("run the app")
}

#[test]
fn a_release_binary_holds_no_absolute_path_and_new_uses_the_relative_one() {
    let root = target_dir().join("release-check");
    let app = write_app(&root);
    let migrations = app.join("migrations");
    let needle = migrations.to_str().expect("a UTF-8 path");
    let target = root.join("target");

    let release = build(&app, &target, true);
    assert!(
        !contains(&release, needle),
        "the release binary contains `{needle}`"
    );
    let debug = build(&app, &target, false);
    assert!(
        contains(&debug, needle),
        "the debug binary should embed `{needle}` (for `migrate new`); the search is broken"
    );

    // From the crate's directory, `new` finds `migrations` as written in the macro call.
    let created = run(&release, &app, &["new", "add_more"]);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let file = migrations.join("0002_add_more.sql");
    assert!(
        file.exists(),
        "{}",
        String::from_utf8_lossy(&created.stdout)
    );
    std::fs::remove_file(&file).expect("remove the new file");

    // Elsewhere it says what to do.
    let lost = run(&release, &root, &["new", "add_more"]);
    let message = String::from_utf8_lossy(&lost.stderr);
    assert_eq!(lost.status.code(), Some(2), "{message}");
    assert!(
        message.contains("this binary embeds `migrations`")
            && message.contains("run `migrate new` from the crate's directory, or pass --dir"),
        "{message}"
    );
}
