//! Directives: SQL comments at the top of a migration file, e.g. `-- migrate:no-transaction`.
//!
//! The header is the run of blank and `--` comment lines before the first other line (a
//! leading byte order mark is skipped). A directive anywhere in the header counts, so a file
//! may start with a description or a licence. sqlx's bare `-- no-transaction` is accepted as
//! an alias, so sqlx directories work unchanged; sqlx itself honours it only as the very first
//! bytes of the file, so a file with `-- no-transaction` lower in its header runs outside a
//! transaction here but inside one under sqlx (a directive that sits in the header was meant).
//!
//! A compile error must be a certainty, and header comments are mostly prose, so a comment is
//! reported only when it cannot be prose:
//! - `-- migrate:<name>`, with `<name>` one token of lowercase letters, digits, `-` and `_`
//!   right after the colon, is a directive: an unknown name is an error (`-- migrate:bogus`).
//!   Anything else after `migrate:` (`-- migrate: add the users table`) is a comment, unless
//!   it is a known directive's name (`-- migrate: no-transaction`).
//! - A comment that is one such token close to a directive's name (within two edits, ignoring
//!   `-` and `_`, for a compound such as `no-transacton` or `no_transaction`; within one edit
//!   for a single word such as `notransacton`), possibly after `migrate` and a separator
//!   (`-- migrate no-transaction`), is reported as a misspelling. An ordinary word
//!   (`-- Transaction`, `-- transaction`) is a comment.
//!
//! The macro calls [`parse`] and reports its problems as compile errors; the runtime calls
//! [`read`] on a down script recorded in the history table, which the macro of an earlier
//! build has already checked.

/// The directives this version knows.
const KNOWN: &[&str] = &["no-transaction"];

/// Directives found in one file.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct Directives {
    /// Run the file outside a transaction.
    pub no_transaction: bool,
}

/// Parses the header of `content`; `file` names it in messages. Returns every problem found.
pub fn parse(file: &str, content: &str) -> Result<Directives, Vec<String>> {
    let mut directives = Directives::default();
    let mut problems = Vec::new();
    for (number, body) in header(content) {
        match classify(body) {
            Comment::Plain => {}
            Comment::Known(name) => directives.set(name),
            Comment::Unknown(name) => problems.push(format!(
                "`{file}` line {number}: unknown directive `-- migrate:{name}`{}; known directives: {}",
                suggestion(name),
                known_list()
            )),
            Comment::Misspelled(name) => problems.push(format!(
                "`{file}` line {number}: `-- {body}` looks like a misspelled directive; write `-- migrate:{name}`, or reword the comment"
            )),
        }
    }
    if problems.is_empty() {
        Ok(directives)
    } else {
        Err(problems)
    }
}

/// The known directives of `content`, ignoring anything [`parse`] would report.
pub fn read(content: &str) -> Directives {
    let mut directives = Directives::default();
    for (_, body) in header(content) {
        if let Comment::Known(name) = classify(body) {
            directives.set(name);
        }
    }
    directives
}

impl Directives {
    /// Sets the known directive `name`.
    fn set(&mut self, name: &'static str) {
        if name == "no-transaction" {
            self.no_transaction = true;
        }
    }
}

/// The comments of the header: line number (from 1) and text after `--`, trimmed.
fn header(content: &str) -> impl Iterator<Item = (usize, &str)> {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    content
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty())
        .map_while(|(number, line)| Some((number, line.strip_prefix("--")?.trim())))
}

/// What one header comment is (see the module docs).
enum Comment<'a> {
    /// Prose.
    Plain,
    /// A known directive.
    Known(&'static str),
    /// `-- migrate:<name>` with a name this version does not know.
    Unknown(&'a str),
    /// A near miss of this directive.
    Misspelled(&'static str),
}

fn classify(body: &str) -> Comment<'_> {
    let known = |name: &str| KNOWN.iter().copied().find(|k| k.eq_ignore_ascii_case(name));
    if let Some(rest) = strip_prefix_ignore_case(body, "migrate:") {
        if let Some(name) = known(rest.trim()) {
            return Comment::Known(name);
        }
        // The directive syntax itself: lowercase `migrate:` and one token right after it.
        if body.starts_with("migrate:") && is_token(rest) {
            return Comment::Unknown(rest);
        }
        return Comment::Plain;
    }
    if body == "no-transaction" {
        return Comment::Known("no-transaction");
    }
    // `-- migrate no-transaction`, `-- migrate=no-transaction`, `-- migrate-no-transaction`
    let token = match strip_prefix_ignore_case(body, "migrate") {
        Some(rest) => rest.trim_start_matches([' ', '\t', '=', '-', '_', ':']),
        None => body,
    };
    match misspelling_of(token) {
        Some(name) => Comment::Misspelled(name),
        None => Comment::Plain,
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// One token of a directive's form: lowercase ASCII letters, digits, `-` and `_`.
fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// The directive that `token` is a near miss of, when it cannot be prose: a compound token
/// (with `-` or `_`) within two edits of the name, or a single word within one edit.
fn misspelling_of(token: &str) -> Option<&'static str> {
    if !is_token(token) {
        return None;
    }
    let compound = token.contains(['-', '_']);
    let word = letters(token);
    if word.is_empty() {
        return None;
    }
    let limit = if compound { 2 } else { 1 };
    KNOWN
        .iter()
        .copied()
        .find(|name| distance(&word, &letters(name)) <= limit)
}

/// `text` without `-` and `_`: `no_transaction` and `no-transaction` are the same words.
fn letters(text: &str) -> String {
    text.chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

/// The known directive within two edits of `name`, ignoring `-` and `_`, for a suggestion.
fn closest(name: &str) -> Option<&'static str> {
    let word = letters(name);
    KNOWN
        .iter()
        .copied()
        .find(|known| distance(&word, &letters(known)) <= 2)
}

fn suggestion(name: &str) -> String {
    match closest(name) {
        Some(known) => format!(" (did you mean `-- migrate:{known}`?)"),
        None => String::new(),
    }
}

fn known_list() -> String {
    KNOWN
        .iter()
        .map(|name| format!("`-- migrate:{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Levenshtein distance between two short ASCII words.
pub(crate) fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_tx(content: &str) -> bool {
        match parse("f.sql", content) {
            Ok(d) => d.no_transaction,
            Err(problems) => panic!("unexpected problems: {problems:?}"),
        }
    }

    #[test]
    fn recognises_directives_in_the_header_only() {
        assert!(no_tx(
            "-- migrate:no-transaction\nCREATE INDEX CONCURRENTLY i ON t (c);"
        ));
        assert!(no_tx("\n-- a comment\n--migrate:no-transaction\nSELECT 1;"));
        assert!(no_tx("-- no-transaction\nSELECT 1;"), "sqlx alias");
        assert!(no_tx("\u{feff}-- migrate:no-transaction\r\nSELECT 1;"));
        assert!(!no_tx("SELECT 1;\n-- migrate:no-transaction\n"));
        assert!(!no_tx("-- migrate users to the new table\nSELECT 1;"));
        assert!(!no_tx("-- Add migration script here\n"));
    }

    #[test]
    fn reports_unknown_and_misspelled_directives() {
        let problems = parse("f.sql", "-- migrate:no-transacton\n-- migrate:bogus\n-- no_transaction\n-- migrate no-transaction\nSELECT 1;")
            .err()
            .unwrap_or_default();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[0].contains("line 1") && problems[0].contains("did you mean"));
        assert!(
            problems[1].contains("`-- migrate:bogus`") && !problems[1].contains("did you mean")
        );
        assert!(problems[2].contains("misspelled"));
        assert!(problems[3].contains("line 4"));
    }

    #[test]
    fn prose_is_not_a_directive() {
        for header in [
            "-- Transaction",
            "-- transaction",
            "-- Transactions",
            "-- migrate: add the users table",
            "-- Migrate: users",
            "-- migrate: users",
            "-- migrate:Users",
            "-- Migrate the users table to the new transaction model",
            "-- no transaction needed here",
            "-- migrate transactions",
            "-- TODO: no-transaction once the table is small",
        ] {
            let content = format!("{header}\nSELECT 1;");
            assert_eq!(
                parse("f.sql", &content),
                Ok(Directives::default()),
                "{header}"
            );
        }
    }

    #[test]
    fn a_known_name_after_migrate_colon_is_a_directive() {
        assert!(no_tx("-- migrate: no-transaction\nSELECT 1;"));
        assert!(no_tx("-- Migrate:No-Transaction\nSELECT 1;"));
    }

    #[test]
    fn misspellings_are_single_tokens_of_the_directive_form() {
        for header in [
            "-- no-transacton",
            "-- no_transaction",
            "-- notransaction",
            "-- notransacton",
            "-- no-transactions",
            "-- migrate no-transaction",
            "-- migrate-no-transaction",
            "-- migrate=no_transaction",
        ] {
            let content = format!("{header}\nSELECT 1;");
            let problems = parse("f.sql", &content).err().unwrap_or_default();
            assert!(
                problems.len() == 1 && problems[0].contains("misspelled"),
                "{header}: {problems:?}"
            );
        }
        let problems = parse("f.sql", "-- migrate:no-transacton\nSELECT 1;")
            .err()
            .unwrap_or_default();
        assert!(problems[0].contains("unknown directive") && problems[0].contains("did you mean"));
    }

    #[test]
    fn read_agrees_with_parse_and_ignores_problems() {
        for content in [
            "-- migrate:no-transaction\nSELECT 1;",
            "-- no-transaction\nSELECT 1;",
            "SELECT 1;\n-- migrate:no-transaction\n",
            "-- a comment\n\n-- migrate:no-transaction\nDROP INDEX CONCURRENTLY i;",
        ] {
            assert_eq!(
                parse("f.sql", content).ok(),
                Some(read(content)),
                "{content}"
            );
        }
        assert!(read("-- migrate:bogus\n-- migrate:no-transaction\nSELECT 1;").no_transaction);
        assert!(!read("-- no-transacton\nSELECT 1;").no_transaction);
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("notransaction", "notransaction"), 0);
        assert_eq!(distance("notransacton", "notransaction"), 1);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
