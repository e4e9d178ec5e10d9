//! Directives: SQL comments at the top of a migration file, e.g. `-- migrate:no-transaction`.
//!
//! The header is the run of blank and `--` comment lines before the first other line (a
//! leading byte order mark is skipped). In it, `-- migrate:<name>` must name a known
//! directive, and a comment that is one word close to a directive's name (`-- no-transacton`,
//! `-- migrate no-transaction`) is reported as a misspelling instead of being silently
//! ignored. sqlx's bare `-- no-transaction` is accepted as an alias, so sqlx directories work
//! unchanged.
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
            Comment::Directive(name) => {
                if !directives.set(name) {
                    problems.push(format!(
                        "`{file}` line {number}: unknown directive `-- migrate:{name}`{}; known directives: {}",
                        suggestion(name),
                        known_list()
                    ));
                }
            }
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
        if let Comment::Directive(name) = classify(body) {
            directives.set(name);
        }
    }
    directives
}

impl Directives {
    /// Sets the directive `name`; `false` when there is no such directive.
    fn set(&mut self, name: &str) -> bool {
        match name {
            "no-transaction" => self.no_transaction = true,
            _ => return false,
        }
        true
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

enum Comment<'a> {
    Plain,
    Directive(&'a str),
    Misspelled(&'static str),
}

fn classify(body: &str) -> Comment<'_> {
    let lower = body.to_ascii_lowercase();
    if lower.starts_with("migrate:") {
        return Comment::Directive(body["migrate:".len()..].trim());
    }
    if body == "no-transaction" {
        return Comment::Directive("no-transaction");
    }
    // `-- migrate no-transaction`, `-- migrate=no-transaction`, `-- migrate-no-transaction`
    if let Some(rest) = lower.strip_prefix("migrate") {
        let rest = rest.trim_start_matches([' ', '\t', '=', '-', '_', ':']);
        if let Some(name) = closest(rest) {
            return Comment::Misspelled(name);
        }
    }
    // `-- no-transacton`, `-- no_transaction`, `-- notransaction`: one word close to a name
    if !body.contains(char::is_whitespace) {
        if let Some(name) = closest(&lower) {
            return Comment::Misspelled(name);
        }
    }
    Comment::Plain
}

/// The known directive within a small edit distance of `word`, ignoring `-`/`_`.
fn closest(word: &str) -> Option<&'static str> {
    let normalize = |s: &str| {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
    };
    let word = normalize(word);
    if word.is_empty() {
        return None;
    }
    KNOWN
        .iter()
        .copied()
        .find(|name| distance(&word, &normalize(name)) <= 2)
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
fn distance(a: &str, b: &str) -> usize {
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
