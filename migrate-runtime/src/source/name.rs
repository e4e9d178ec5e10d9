//! Migration file names: which files are migrations, and what a name says.
//!
//! A file is a migration when its name is `<version>_<description>.sql`, or `.up.sql` /
//! `.down.sql` for a reversible one, or `.rs` for one written in Rust. The version is digits
//! that fit `i64` (leading zeros allowed: `024` and `24` are the same version); the
//! description holds ASCII letters, digits, `_` and `-`. These names are ignored: hidden files
//! and folders (starting with `.`), `README*`, and editor droppings (`*~`, `#*#`, `*.swp`,
//! `*.swo`, `*.bak`, `*.orig`, `*.rej`).

/// Which part of a migration a file holds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Role {
    /// `<v>_<d>.sql`: an irreversible migration.
    Simple,
    /// `<v>_<d>.up.sql`
    Up,
    /// `<v>_<d>.down.sql`
    Down,
    /// `<v>_<d>.rs`: a migration written in Rust.
    Rust,
}

/// What a file name says, before the file is read.
#[derive(Debug, PartialEq, Eq)]
pub struct Name<'a> {
    /// The version, leading zeros dropped.
    pub version: i64,
    /// The description: `[A-Za-z0-9_-]+`.
    pub description: &'a str,
    /// The name without `.sql`, `.up.sql`, `.down.sql` or `.rs`: what an up/down pair shares.
    pub stem: &'a str,
    /// Which part of a migration the file holds.
    pub role: Role,
}

/// Names that are passed over without a word (see the module docs).
pub fn is_ignored(name: &str) -> bool {
    const DROPPINGS: &[&str] = &[".swp", ".swo", ".bak", ".orig", ".rej"];
    name.starts_with('.')
        || name.starts_with("README")
        || name.ends_with('~')
        || (name.starts_with('#') && name.ends_with('#'))
        || DROPPINGS.iter().any(|suffix| name.ends_with(suffix))
}

/// Parses a migration file name; the error names the file and explains what is wrong.
pub fn parse(name: &str) -> Result<Name<'_>, String> {
    const FORM: &str = "expected `<version>_<description>.sql`, `.up.sql` or `.down.sql`, e.g. `0001_create_users.sql`, or `.rs` for a migration written in Rust";
    let (stem, role) = if let Some(stem) = name.strip_suffix(".rs") {
        (stem, Role::Rust)
    } else if let Some(stem) = name.strip_suffix(".up.sql") {
        (stem, Role::Up)
    } else if let Some(stem) = name.strip_suffix(".down.sql") {
        (stem, Role::Down)
    } else if let Some(stem) = name.strip_suffix(".sql") {
        (stem, Role::Simple)
    } else {
        return Err(format!(
            "`{name}` is not a migration file: {FORM} (hidden files, `README*` and editor backups are ignored)"
        ));
    };
    let Some((digits, description)) = stem.split_once('_') else {
        return Err(format!(
            "cannot parse `{name}`: there is no `_` between the version and the description; {FORM}"
        ));
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "cannot parse `{name}`: the version `{digits}` must be digits only; {FORM}"
        ));
    }
    if description.is_empty() {
        return Err(format!(
            "cannot parse `{name}`: the description after `{digits}_` is empty; {FORM}"
        ));
    }
    if let Some(bad) = description
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        let bad = match bad {
            ' ' => "a space".to_owned(),
            c if c.is_whitespace() || c.is_control() => format!("the character {c:?}"),
            c => format!("`{c}`"),
        };
        return Err(format!(
            "cannot parse `{name}`: the description may hold ASCII letters, digits, `_` and `-`, not {bad}; {FORM}"
        ));
    }
    let version = digits.bytes().try_fold(0i64, |acc, b| {
        acc.checked_mul(10)?.checked_add(i64::from(b - b'0'))
    });
    let Some(version) = version else {
        return Err(format!(
            "`{name}`: version {digits} is too large; renumber it to fit a signed 64-bit integer (at most {})",
            i64::MAX
        ));
    };
    Ok(Name {
        version,
        description,
        stem,
        role,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sqlx_names() {
        let name = parse("0024_add-threads.up.sql").expect("valid");
        assert_eq!(
            name,
            Name {
                version: 24,
                description: "add-threads",
                stem: "0024_add-threads",
                role: Role::Up
            }
        );
        assert_eq!(
            parse("20251026163739_x.sql").map(|n| n.version),
            Ok(20251026163739)
        );
        assert_eq!(parse("0_init.sql").map(|n| n.version), Ok(0));
        assert_eq!(
            parse("9223372036854775807_max.sql").map(|n| n.version),
            Ok(i64::MAX)
        );
        assert_eq!(parse("0008_backfill.rs").map(|n| n.role), Ok(Role::Rust));
    }

    #[test]
    fn rejects_bad_names() {
        for bad in [
            "x_a.sql",
            "1.sql",
            "1_.sql",
            "_a.sql",
            "1_a b.sql",
            "1a_b.sql",
            "1_a.sq",
            "1_ä.sql",
        ] {
            assert!(parse(bad).is_err(), "{bad} should be rejected");
        }
        let overflow = parse("9223372036854775808_too_big.sql").expect_err("overflow");
        assert!(overflow.contains("too large"), "{overflow}");
    }

    #[test]
    fn ignores_documented_names() {
        for name in [
            ".hidden.sql",
            "README.md",
            "README",
            "0001_a.sql~",
            "#0001_a.sql#",
            "0001_a.sql.swp",
            "x.orig",
        ] {
            assert!(is_ignored(name), "{name}");
        }
        assert!(!is_ignored("0001_a.sql"));
    }
}
