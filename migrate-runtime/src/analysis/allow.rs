//! Opt-outs: a `-- migrate:allow <name>[, <name>…] [-- <reason>]` comment in the comments
//! before a statement, or on a comment line inside it, turns those rules (or allowable
//! errors) off for that statement. The reason after ` -- ` is for the reader.

use super::{Kind, Problem, Rule};

/// What the opt-out comments of a statement allow.
pub(crate) struct Allowed {
    /// The rules the comments name.
    pub rules: Vec<Rule>,
    /// The errors the comments name.
    pub problems: Vec<Problem>,
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
        problems: Vec::new(),
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
        let rest = rest.split(" --").next().unwrap_or(rest);
        for name in rest.split([',', ' ', '\t']).filter(|n| !n.is_empty()) {
            if let Some(rule) = Rule::from_name(name) {
                allowed.rules.push(rule);
            } else if let Some(problem) = Problem::from_name(name) {
                allowed.problems.push(problem);
            } else {
                allowed.unknown.push((name.to_owned(), index));
            }
        }
    }
    allowed
}

impl Allowed {
    /// Whether a finding of `kind` on this statement is allowed.
    pub fn allows(&self, kind: Kind) -> bool {
        match kind {
            Kind::Lint(rule) => self.rules.contains(&rule),
            Kind::Error(problem) => self.problems.contains(&problem),
        }
    }
}
