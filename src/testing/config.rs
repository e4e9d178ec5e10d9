//! Where the test servers are, and names for the databases created on them.

use std::sync::atomic::{AtomicU32, Ordering};

/// The environment variable with the admin URL of the PostgreSQL server for test databases.
pub const POSTGRES_URL_VARIABLE: &str = "MIGRATE_TEST_POSTGRES_URL";

/// The environment variable with the admin URL of the MySQL or MariaDB server for test
/// databases.
pub const MYSQL_URL_VARIABLE: &str = "MIGRATE_TEST_MYSQL_URL";

/// The environment variable with the directory for SQLite test databases and templates.
pub const SQLITE_DIR_VARIABLE: &str = "MIGRATE_TEST_SQLITE_DIR";

/// The PostgreSQL admin URL used when no variable names one.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres:postgres@127.0.0.1:5432/postgres";

/// The MySQL admin URL used when no variable names one.
pub const DEFAULT_MYSQL_URL: &str = "mysql://root@127.0.0.1:3306/mysql";

/// The admin URL for a server backend: its own variable, else `DATABASE_URL` when its scheme
/// is one of `schemes` (rewritten to the first one), else the loopback default.
pub(crate) fn admin_url_from_env(variable: &str, schemes: &[&str], default: &str) -> String {
    if let Some(url) = std::env::var(variable).ok().filter(|u| !u.is_empty()) {
        return url;
    }
    if let Ok(url) = std::env::var("DATABASE_URL") {
        for scheme in schemes {
            if let Some(rest) = url.strip_prefix(&format!("{scheme}://")) {
                return format!("{}://{rest}", schemes[0]);
            }
        }
    }
    default.to_owned()
}

/// A database name that no other test, in this process or another, uses at the same time:
/// `<prefix>_<process id>_<counter>_<time>`, at most 63 bytes for a short prefix.
pub(crate) fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}_{}_{}_{nanos:08x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The URL of database `name` on the server of `admin_url` (its path replaced, the query kept).
pub(crate) fn with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map_or(0, |at| at + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// `url` with its password, if any, replaced by `***`, for messages.
pub(crate) fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|at| at + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &rest[..colon],
            &rest[at..]
        ),
        None => url.to_owned(),
    }
}

/// Lower-case hex of the first `bytes` bytes of `digest`.
pub(crate) fn short_hex(digest: &[u8], bytes: usize) -> String {
    digest
        .iter()
        .take(bytes)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{redact, unique_name, with_database};

    #[test]
    fn replaces_the_database_of_a_url() {
        assert_eq!(
            with_database("postgres://u:p@h:5432/postgres", "x"),
            "postgres://u:p@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
        assert_eq!(
            with_database("mysql://root@h/mysql?ssl-mode=disabled", "x"),
            "mysql://root@h/x?ssl-mode=disabled"
        );
    }

    #[test]
    fn hides_passwords() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact("mysql://root@h/db"), "mysql://root@h/db");
        assert_eq!(redact("sqlite://a@b:c"), "sqlite://a@b:c");
    }

    #[test]
    fn names_are_unique_and_short() {
        let a = unique_name("migrate_test");
        let b = unique_name("migrate_test");
        assert_ne!(a, b);
        assert!(a.len() <= 63, "{a}");
    }
}
