//! `password-literal`: a password written in the migration. Read from the parsed statement
//! (PostgreSQL `CREATE ROLE` / `ALTER ROLE`, MySQL `SET PASSWORD = '…'`), or from the text of
//! an opaque one (`PASSWORD '…'`, `IDENTIFIED [WITH plugin] BY '…'`, `SET PASSWORD … = '…'`;
//! comments and literals are not read as keywords).
//!
//! Not a secret, so not reported: `PASSWORD NULL`, an empty password, a hash the server
//! stores as given (`md5` and 32 hex digits, `SCRAM-SHA-256$…`, MySQL `*` and 40 hex
//! digits), and a template placeholder (`${NAME}`, `{{ name }}`) some deploys substitute.

use sqlparser::ast::{
    AlterRoleOperation, Expr, ObjectName, Password, RoleOption, Set, Statement, Value,
};
use sqlparser::tokenizer::Token;

use super::text::{is_word, significant_tokens, string_literal};
use super::{Dialect, Lint, Rule};

/// The rule on a parsed statement.
pub(super) fn check(statement: &Statement) -> Option<Lint> {
    literal_in(statement).filter(|password| is_secret(password))?;
    Some(lint())
}

/// The rule on the text of an opaque statement.
pub(super) fn check_text(text: &str, dialect: Dialect) -> Option<Lint> {
    let tokens = significant_tokens(text, dialect)?;
    literals_in_text(&tokens)
        .into_iter()
        .find(|password| is_secret(password))?;
    Some(lint())
}

fn lint() -> Lint {
    Lint::new(
        Rule::PasswordLiteral,
        "a password is written in the migration, so it is as readable as the source code and \
         every build"
            .to_owned(),
        "leave the password out of the migration and set it at deploy time from a secret store",
    )
}

/// The password literal of a parsed statement.
fn literal_in(statement: &Statement) -> Option<&str> {
    match statement {
        Statement::CreateRole(role) => match role.password.as_ref()? {
            Password::Password(expr) => string(expr),
            Password::NullPassword => None,
        },
        Statement::AlterRole {
            operation: AlterRoleOperation::WithOptions { options },
            ..
        } => options.iter().find_map(|option| match option {
            RoleOption::Password(Password::Password(expr)) => string(expr),
            _ => None,
        }),
        // MySQL: `SET PASSWORD = '…'` for the current user.
        Statement::Set(Set::SingleAssignment {
            variable, values, ..
        }) if is_password(variable) => values.first().and_then(string),
        _ => None,
    }
}

/// The literals the text gives as passwords.
fn literals_in_text(tokens: &[Token]) -> Vec<&str> {
    let mut found = Vec::new();
    let mut identified = false;
    for (at, token) in tokens.iter().enumerate() {
        let next = tokens.get(at + 1);
        if is_word(Some(token), "IDENTIFIED") {
            identified = true;
        }
        let introduces =
            is_word(Some(token), "PASSWORD") || (identified && is_word(Some(token), "BY"));
        if introduces {
            // `PASSWORD('…')`: MySQL 5 and MariaDB's hashing function.
            let literal = match next {
                Some(Token::LParen) => tokens.get(at + 2),
                _ => next,
            };
            found.extend(string_literal(literal));
        }
    }
    // MySQL `SET PASSWORD [FOR user] = '…'`: the literal after `=` (the user may be a
    // literal too).
    if is_word(tokens.first(), "SET") && is_word(tokens.get(1), "PASSWORD") {
        if let Some(at) = tokens.iter().position(|token| *token == Token::Eq) {
            found.extend(string_literal(tokens.get(at + 1)));
        }
    }
    found
}

fn is_password(variable: &ObjectName) -> bool {
    matches!(variable.0.as_slice(), [part]
        if part.as_ident().is_some_and(|ident| ident.value.eq_ignore_ascii_case("password")))
}

/// The content of a string literal.
fn string(expr: &Expr) -> Option<&str> {
    let Expr::Value(value) = expr else {
        return None;
    };
    match &value.value {
        Value::SingleQuotedString(text)
        | Value::DoubleQuotedString(text)
        | Value::EscapedStringLiteral(text)
        | Value::NationalStringLiteral(text) => Some(text),
        Value::DollarQuotedString(quoted) => Some(&quoted.value),
        _ => None,
    }
}

/// False for what is no secret: empty, a stored hash, a placeholder.
fn is_secret(password: &str) -> bool {
    let password = password.trim();
    let hex = |text: &str, digits: usize| {
        text.len() == digits && text.bytes().all(|byte| byte.is_ascii_hexdigit())
    };
    let hashed = password
        .strip_prefix("md5")
        .is_some_and(|rest| hex(rest, 32))
        || password.starts_with("SCRAM-SHA-256$")
        || password.strip_prefix('*').is_some_and(|rest| hex(rest, 40));
    let placeholder = (password.starts_with("${") && password.ends_with('}'))
        || (password.starts_with("{{") && password.ends_with("}}"));
    !(password.is_empty() || hashed || placeholder)
}
