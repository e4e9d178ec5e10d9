//! Reading the scheme of the database URL, with messages that say what to write instead and
//! never show the URL itself (it may hold a password).

/// The variable the URL comes from when `--database-url` is not given.
const VARIABLE: &str = "DATABASE_URL";

/// The scheme of `url` in lower case (`postgres`, `mysql`, …), or a message that says what
/// is wrong and which URLs this binary accepts. Shows nothing of `url` but a well-formed
/// scheme.
pub(super) fn scheme(url: &str) -> Result<String, String> {
    if url.is_empty() {
        let which = if std::env::var_os(VARIABLE).is_some_and(|value| value.is_empty()) {
            format!("{VARIABLE} is set but empty")
        } else {
            "--database-url is empty".to_owned()
        };
        return Err(format!(
            "no database: {which}; give a URL such as {}",
            accepted_forms()
        ));
    }
    match url.split_once(':') {
        Some((scheme, _)) if is_scheme(scheme) => Ok(scheme.to_ascii_lowercase()),
        _ => Err(format!(
            "the database URL does not start with a scheme such as `postgres:` (it is not shown, \
             since it may hold a password); give a URL such as {}",
            accepted_forms()
        )),
    }
}

/// The message for a well-formed scheme that this binary does not support.
pub(super) fn unsupported(scheme: &str) -> String {
    format!(
        "unsupported database URL scheme `{scheme}`; this binary accepts {}",
        accepted_forms()
    )
}

/// A scheme as RFC 3986 defines it: a letter, then letters, digits, `+`, `-` and `.`.
fn is_scheme(text: &str) -> bool {
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// The forms of URL this binary accepts, one per database feature it was built with.
pub(super) fn accepted_forms() -> String {
    let forms: Vec<&str> = [
        (
            cfg!(feature = "postgres"),
            "`postgres://user:password@host:5432/database`",
        ),
        (
            cfg!(feature = "mysql"),
            "`mysql://user:password@host:3306/database` (or `mariadb://…`)",
        ),
        (
            cfg!(feature = "sqlite"),
            "`sqlite://path/to/file.db?mode=rwc`",
        ),
    ]
    .into_iter()
    .filter_map(|(built, form)| built.then_some(form))
    .collect();
    match forms.split_last() {
        None => "none: this binary was built without a database feature".to_owned(),
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::{is_scheme, scheme};

    #[test]
    fn schemes_are_read_in_lower_case() {
        assert_eq!(scheme("Postgres://u@h/db").as_deref(), Ok("postgres"));
        assert_eq!(scheme("sqlite::memory:").as_deref(), Ok("sqlite"));
        assert_eq!(scheme("oracle://db").as_deref(), Ok("oracle"));
    }

    #[test]
    fn a_url_without_a_scheme_is_never_shown() {
        for url in ["hunter2", "  ", "/var/db/app.db", "p@ss:word@host/db"] {
            let message = scheme(url).expect_err(url);
            assert!(
                message.contains("does not start with a scheme"),
                "{message}"
            );
            if !url.trim().is_empty() {
                assert!(!message.contains(url), "{message}");
            }
        }
    }

    #[test]
    fn an_empty_url_names_the_accepted_forms() {
        let message = scheme("").expect_err("empty");
        assert!(message.contains("is empty"), "{message}");
        assert!(message.contains("://"), "{message}");
    }

    #[test]
    fn schemes_follow_rfc_3986() {
        assert!(is_scheme("postgresql") && is_scheme("a+b-c.d"));
        assert!(!is_scheme("") && !is_scheme("1db") && !is_scheme("u@h") && !is_scheme(" x"));
    }
}
