//! The list of migrations directories whose build script tells cargo to watch them.
//!
//! `migrate::build::track` (in the application's `build.rs`) writes the list; the
//! `embed_migrations!` macro reads it, from the same `OUT_DIR`, to warn when cargo would not
//! rebuild after a migration is added. The list is the file [`FILE_NAME`] in `OUT_DIR`: one
//! canonical absolute directory per line, UTF-8. A directory is tracked when it is, or is
//! inside, a listed one.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

/// The name of the list in `OUT_DIR`.
pub const FILE_NAME: &str = "migrate-tracked-dirs";

/// Whether this build script run has written the list yet: the first [`record`] starts it
/// afresh, later ones append.
static STARTED: AtomicBool = AtomicBool::new(false);

/// Write side, for build scripts: adds `dir` (relative to `manifest_dir`, or absolute) to the
/// list in `out_dir`. The error says what went wrong, for a `cargo:warning`.
pub fn record(out_dir: &Path, manifest_dir: &Path, dir: &Path) -> Result<(), String> {
    let absolute = manifest_dir.join(dir);
    let absolute = absolute
        .canonicalize()
        .map_err(|error| format!("cannot resolve `{}`: {error}", absolute.display()))?;
    let line = absolute.to_str().ok_or_else(|| {
        format!(
            "`{}` is not valid UTF-8; move the project to a UTF-8 path",
            absolute.display()
        )
    })?;
    let first = !STARTED.swap(true, Ordering::SeqCst);
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .append(!first)
        .truncate(first)
        .open(out_dir.join(FILE_NAME))
        .map_err(|error| error.to_string())?;
    writeln!(file, "{line}").map_err(|error| error.to_string())
}

/// Read side, for the macro: whether `dir` is listed in `out_dir`'s list (or is inside a
/// listed directory). `false` when there is no list.
pub fn is_tracked(out_dir: &Path, dir: &Path) -> bool {
    let Ok(list) = std::fs::read_to_string(out_dir.join(FILE_NAME)) else {
        return false;
    };
    let Ok(dir) = dir.canonicalize() else {
        return false;
    };
    list.lines().any(|tracked| dir.starts_with(tracked))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_recorded_is_tracked() {
        let root = std::env::temp_dir().join(format!("migrate-tracked-{}", std::process::id()));
        let (out, migrations, other) = (root.join("out"), root.join("m"), root.join("other"));
        for dir in [&out, &migrations.join("sub"), &other] {
            std::fs::create_dir_all(dir).expect("create a directory");
        }
        assert!(!is_tracked(&out, &migrations), "no list yet");
        record(&out, &root, Path::new("m")).expect("record");
        assert!(is_tracked(&out, &migrations));
        assert!(
            is_tracked(&out, &migrations.join("sub")),
            "inside a listed one"
        );
        assert!(!is_tracked(&out, &other));
        record(&out, &root, &other).expect("record an absolute path");
        assert!(
            is_tracked(&out, &migrations) && is_tracked(&out, &other),
            "appended"
        );
        assert!(record(&out, &root, Path::new("missing")).is_err());
        let _ = std::fs::remove_dir_all(&root);
    }
}
