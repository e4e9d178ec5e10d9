//! Where the test servers are, and names for the databases created on them.

use std::sync::atomic::{AtomicU32, Ordering};

use url::Url;

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

/// The URL of database `name` on the server of `admin_url`: its path replaced, the rest
/// (user, password, host, port, query parameters) kept. A URL that does not parse is kept as
/// it is, so that connecting reports what is wrong with it.
pub(crate) fn with_database(admin_url: &str, name: &str) -> String {
    match Url::parse(admin_url) {
        Ok(mut url) if !url.cannot_be_a_base() => {
            url.set_path(&format!("/{name}"));
            url.into()
        }
        _ => admin_url.to_owned(),
    }
}

/// The text that stands for a hidden password.
const HIDDEN: &str = "***";

/// `url` with its passwords replaced by `***`, for messages: the one in `user:password@`,
/// and the value of every query parameter whose name contains `password` (sqlx reads
/// `?password=…`; PostgreSQL also has `sslpassword`). A URL that does not parse is not
/// shown at all, since where a password would be in it cannot be told.
pub(crate) fn redact(url: &str) -> String {
    let Ok(mut parsed) = Url::parse(url) else {
        return "<a URL that does not parse>".to_owned();
    };
    if parsed.password().is_some() {
        // Fails only for URLs without a host, which have no password either.
        let _ = parsed.set_password(Some(HIDDEN));
    }
    if parsed.query().is_some() {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(key, value)| {
                let value = if key.to_ascii_lowercase().contains("password") {
                    HIDDEN.to_owned()
                } else {
                    value.into_owned()
                };
                (key.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.into()
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
    fn replacing_the_database_keeps_the_query_parameters() {
        assert_eq!(
            with_database(
                "postgres://u@h:5432/postgres?password=s%26cret&sslmode=disable&application_name=t",
                "migrate_test_1"
            ),
            "postgres://u@h:5432/migrate_test_1?password=s%26cret&sslmode=disable&application_name=t"
        );
        // A `/`, `?` or `#` in the password stays in the password, not in the path.
        assert_eq!(
            with_database("postgres://u:a%2Fb%3Fc@h/postgres?sslmode=disable", "x"),
            "postgres://u:a%2Fb%3Fc@h/x?sslmode=disable"
        );
    }

    #[test]
    fn hides_passwords_in_the_user_info() {
        assert_eq!(
            redact("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        // An `@` or `/` in the password (percent-encoded) does not uncover its end.
        let redacted = redact("postgres://u:se%40cr%2Fet@h:5432/db");
        assert_eq!(redacted, "postgres://u:***@h:5432/db");
        assert_eq!(redact("mysql://root@h/db"), "mysql://root@h/db");
    }

    #[test]
    fn hides_passwords_in_query_parameters() {
        assert_eq!(
            redact("postgres://u@h:5432/db?sslmode=disable&password=secret"),
            "postgres://u@h:5432/db?sslmode=disable&password=***"
        );
        let redacted = redact("mysql://root@h/db?PASSWORD=secret&sslpassword=secret2");
        assert!(!redacted.contains("secret"), "{redacted}");
        let both = redact("postgres://u:secret1@h/db?password=secret2");
        assert!(!both.contains("secret"), "{both}");
    }

    #[test]
    fn shows_nothing_of_a_url_that_does_not_parse() {
        let redacted = redact("postgres://u:secret@h:notaport/db");
        assert!(!redacted.contains("secret"), "{redacted}");
    }

    #[test]
    fn names_are_unique_and_short() {
        let a = unique_name("migrate_test");
        let b = unique_name("migrate_test");
        assert_ne!(a, b);
        assert!(a.len() <= 63, "{a}");
    }
}
