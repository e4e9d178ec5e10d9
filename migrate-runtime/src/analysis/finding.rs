//! What the analysis reports: a finding at a place in a file, with what is wrong and the fix.

use std::fmt;

use super::Rule;

/// One thing the analysis found in one statement.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// What kind of finding: a certain error, or a lint.
    pub kind: Kind,
    /// The file name.
    pub file: String,
    /// 1-based line in the file.
    pub line: usize,
    /// 1-based column (in characters) in the file.
    pub column: usize,
    /// The statement's first line, shortened.
    pub statement: String,
    /// What is wrong, in one sentence.
    pub message: String,
    /// What to do about it, in one line.
    pub fix: String,
}

/// Whether a finding fails the build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// A lint: the statement works, but is risky.
    Warning,
    /// The statement certainly fails.
    Error,
}

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// A statement that certainly fails.
    Error(Problem),
    /// A risky statement: see the rule's documentation.
    Lint(Rule),
}

/// Why a statement certainly fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// It uses a table, column, index, type or other object that does not exist at that point.
    Missing,
    /// It creates an object (without `IF NOT EXISTS`) that already exists at that point.
    AlreadyExists,
    /// It cannot run inside a transaction, and its file runs in one.
    NeedsNoTransaction,
    /// A `-- migrate:allow` comment names a rule that does not exist.
    UnknownRule,
    /// The database engine itself refused it (SQLite, executed at compile time).
    Engine,
}

impl Finding {
    /// A finding of `kind` at `file:line:column`; `statement` is shortened to its first line.
    pub fn new(
        kind: Kind,
        file: &str,
        (line, column): (usize, usize),
        statement: &str,
        message: String,
        fix: String,
    ) -> Self {
        Finding {
            kind,
            file: file.to_owned(),
            line,
            column,
            statement: first_line(&redacted(statement)),
            message,
            fix,
        }
    }

    /// Error for [`Kind::Error`], warning for [`Kind::Lint`].
    pub fn severity(&self) -> Severity {
        match self.kind {
            Kind::Error(_) => Severity::Error,
            Kind::Lint(_) => Severity::Warning,
        }
    }

    /// A short name of the kind: the rule's name, or the problem's (`missing`,
    /// `already-exists`, `needs-no-transaction`, `unknown-rule`, `engine`).
    pub fn code(&self) -> &'static str {
        match self.kind {
            Kind::Lint(rule) => rule.name(),
            Kind::Error(problem) => problem.name(),
        }
    }
}

impl Problem {
    /// The problems an opt-out may name: every one but [`Problem::UnknownRule`]. Opting out
    /// of an error is for what the analysis cannot see: a table that something other than
    /// these migrations creates, a failure a test provokes on purpose.
    pub const ALLOWABLE: &'static [Problem] = &[
        Problem::Missing,
        Problem::AlreadyExists,
        Problem::NeedsNoTransaction,
        Problem::Engine,
    ];

    /// The allowable problem named `name`.
    pub fn from_name(name: &str) -> Option<Problem> {
        Problem::ALLOWABLE
            .iter()
            .copied()
            .find(|problem| problem.name() == name)
    }

    /// The problem's name in reports and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Problem::Missing => "missing",
            Problem::AlreadyExists => "already-exists",
            Problem::NeedsNoTransaction => "needs-no-transaction",
            Problem::UnknownRule => "unknown-rule",
            Problem::Engine => "engine",
        }
    }
}

/// `file:line:column: message`, the statement on the next line, then the fix; a lint names
/// its rule and how to allow it.
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}\n    {}\n  fix: {}",
            self.file, self.line, self.column, self.message, self.statement, self.fix
        )?;
        if let Kind::Lint(rule) = self.kind {
            write!(
                f,
                "\n  [{}] when intended, write `-- migrate:allow {}` above the statement",
                rule.name(),
                rule.name()
            )?;
        }
        Ok(())
    }
}

/// The first line of a statement, shortened to 120 characters, with `…` when anything was cut.
fn first_line(statement: &str) -> String {
    let mut lines = statement.trim().lines();
    let first = lines.next().unwrap_or("").trim_end();
    let mut shown: String = first.chars().take(120).collect();
    if shown.len() < first.len() || lines.next().is_some() {
        shown.push_str(" …");
    }
    shown
}

/// `statement` with the literal after `PASSWORD` or `BY` (as in `IDENTIFIED BY '…'`)
/// replaced by `'…'`: a finding is printed by the compiler and CI, and must not repeat a
/// secret.
fn redacted(statement: &str) -> String {
    let mut out = String::with_capacity(statement.len());
    let mut rest = statement;
    while let Some(at) = secret_start(rest) {
        let (before, literal) = rest.split_at(at);
        out.push_str(before);
        let quote = literal.chars().next().unwrap_or('\'');
        let body = &literal[quote.len_utf8()..];
        let end = body
            .find(quote)
            .map_or(body.len(), |end| end + quote.len_utf8());
        out.push(quote);
        out.push('…');
        out.push(quote);
        rest = body.get(end..).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// The byte offset of the opening quote of the next literal that follows `PASSWORD` or `BY`
/// (after spaces, `=` or `(`).
fn secret_start(text: &str) -> Option<usize> {
    let lower = text.to_ascii_lowercase();
    let mut from = 0;
    while from < lower.len() {
        let hit = ["password", "by"]
            .iter()
            .filter_map(|word| lower[from..].find(word).map(|at| (from + at, word.len())))
            .min()?;
        let after = hit.0 + hit.1;
        let gap = lower[after..]
            .find(|c: char| !(c.is_whitespace() || c == '=' || c == '('))
            .map(|gap| after + gap)?;
        if lower[gap..].starts_with(['\'', '"']) {
            return Some(gap);
        }
        from = after;
    }
    None
}
