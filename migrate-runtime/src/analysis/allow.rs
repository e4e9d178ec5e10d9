//! Opt-outs: a `-- migrate:allow <rule>[, <rule>…]` comment in the comments before a
//! statement, or on a comment line inside it, turns those rules off for that statement.

use super::rules::Rule;

/// A rule name an opt-out comment gave, and where.
pub(crate) struct Allowed {
    /// The rules the comments name.
    pub rules: Vec<Rule>,
    /// Names that are not rules, with their line offset from the text's first line.
    pub unknown: Vec<(String, usize)>,
}

const MARKER: &str = "migrate:allow";

/// The opt-outs in `before` (the comments before a statement) and in the comment lines of
/// `text` (the statement). Returns line offsets relative to `before`'s first line for
/// unknown names found there, else relative to the statement's first line plus `before`'s
/// line count.
pub(crate) fn allowed(before: &str, text: &str) -> Allowed {
    let mut allowed = Allowed {
        rules: Vec::new(),
        unknown: Vec::new(),
    };
    let before_lines = before.matches('\n').count();
    let comment_lines = before
        .lines()
        .enumerate()
        .chain(
            text.lines()
                .enumerate()
                .map(|(i, line)| (i + before_lines, line)),
        )
        .filter_map(|(index, line)| {
            let line = line.trim_start();
            let body = line
                .strip_prefix("--")
                .or_else(|| line.strip_prefix("/*"))
                .or_else(|| line.strip_prefix('*'))?;
            Some((index, body.trim()))
        });
    for (index, body) in comment_lines {
        let Some(rest) = body.strip_prefix(MARKER) else {
            continue;
        };
        let rest = rest.trim_end_matches("*/");
        for name in rest.split([',', ' ', '\t']).filter(|n| !n.is_empty()) {
            match Rule::from_name(name) {
                Some(rule) => allowed.rules.push(rule),
                None => allowed.unknown.push((name.to_owned(), index)),
            }
        }
    }
    allowed
}
