//! `security-definer-search-path`: a `SECURITY DEFINER` function that looks names up in the
//! caller's `search_path`. Read from a parsed `CREATE FUNCTION`, or from the text of an opaque
//! `CREATE [OR REPLACE] {FUNCTION | PROCEDURE}` (the parser rejects `SECURITY DEFINER` on a
//! procedure): there it fires only when `search_path` appears nowhere in the text, the body
//! included.

use sqlparser::ast::{FunctionSecurity, Statement};
use sqlparser::tokenizer::Token;

use super::text::{is_word, significant_tokens, string_literal};
use super::{Dialect, Lint, Rule};

/// The rule on a parsed statement.
pub(super) fn check(statement: &Statement) -> Option<Lint> {
    let Statement::CreateFunction(function) = statement else {
        return None;
    };
    let sets_search_path = function.set_params.iter().any(|param| {
        matches!(param.name.0.as_slice(), [part]
            if part.as_ident().is_some_and(|ident| ident.value.eq_ignore_ascii_case("search_path")))
    });
    if function.security != Some(FunctionSecurity::Definer) || sets_search_path {
        return None;
    }
    Some(lint(&format!("function `{}`", function.name)))
}

/// The rule on the text of an opaque statement.
pub(super) fn check_text(text: &str, dialect: Dialect) -> Option<Lint> {
    let tokens = significant_tokens(text, dialect)?;
    let routine = routine_kind(&tokens)?;
    let definer = tokens
        .windows(2)
        .any(|pair| is_word(pair.first(), "SECURITY") && is_word(pair.get(1), "DEFINER"));
    let mentions_search_path = tokens.iter().any(|token| {
        let text = match token {
            Token::Word(word) => Some(word.value.as_str()),
            literal => string_literal(Some(literal)),
        };
        text.is_some_and(|text| text.to_ascii_lowercase().contains("search_path"))
    });
    (definer && !mentions_search_path).then(|| lint(routine))
}

/// `a function` or `a procedure` when the tokens begin `CREATE [OR REPLACE] FUNCTION | PROCEDURE`.
fn routine_kind(tokens: &[Token]) -> Option<&'static str> {
    if !is_word(tokens.first(), "CREATE") {
        return None;
    }
    let at = if is_word(tokens.get(1), "OR") && is_word(tokens.get(2), "REPLACE") {
        3
    } else {
        1
    };
    if is_word(tokens.get(at), "FUNCTION") {
        Some("a function")
    } else if is_word(tokens.get(at), "PROCEDURE") {
        Some("a procedure")
    } else {
        None
    }
}

fn lint(routine: &str) -> Lint {
    Lint::new(
        Rule::SecurityDefinerSearchPath,
        format!(
            "`SECURITY DEFINER` {routine} without `SET search_path` resolves names in the \
             caller's search path, where the caller can place objects it then runs with the \
             owner's rights"
        ),
        "add `SET search_path = pg_catalog, pg_temp` (or the schemas it needs, `pg_temp` last) \
         to its definition",
    )
}
