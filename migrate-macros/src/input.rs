//! The macro's arguments: `embed_migrations!("path")`, optionally followed by
//! `dialect = "postgres"` (or a list), `allow = ["rule", …]`, `lints = "deny"` and
//! `lints_from = <version>`.

use std::path::PathBuf;

use migrate_runtime::analysis::Dialect;
use proc_macro2::{Span, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token};

/// Parsed arguments of one macro call.
pub struct Input {
    /// The path as written by the user, for messages.
    pub path: String,
    /// The span of the path literal: every error points here.
    pub span: Span,
    /// The dialects given with `dialect = …`, if any.
    pub dialects: Option<Vec<Dialect>>,
    /// The rule names given with `allow = […]`, with their spans (checked by the `sql` stage).
    pub allow: Vec<LitStr>,
    /// What lints are.
    pub lints: Lints,
    /// `lints_from = V`: lint only version `V` and later.
    pub lints_from: Option<i64>,
}

/// Whether the SQL lints warn or fail the build (`lints = "deny"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lints {
    /// Warnings (the default).
    Warn,
    /// Compile errors.
    Deny,
}

const ARGUMENTS: &str = "`dialect = \"postgres\"` (or `\"mysql\"`, `\"sqlite\"`, or a list), `allow = [\"rule\", …]`, `lints = \"deny\"` or `lints_from = <version>`";

impl Parse for Input {
    fn parse(input: ParseStream) -> syn::Result<Self> {
        if input.is_empty() {
            // `input.error` would prefix "unexpected end of input".
            return Err(syn::Error::new(
                Span::call_site(),
                "expected the migrations directory, e.g. `embed_migrations!(\"migrations\")`",
            ));
        }
        let lit: LitStr = input.parse().map_err(|error| {
            syn::Error::new(
                error.span(),
                "expected a string literal with the migrations directory, relative to the crate's Cargo.toml",
            )
        })?;
        let mut parsed = Input {
            path: lit.value(),
            span: lit.span(),
            dialects: None,
            allow: Vec::new(),
            lints: Lints::Warn,
            lints_from: None,
        };
        while !input.is_empty() {
            let _comma: Token![,] = input.parse()?;
            if input.is_empty() {
                break;
            }
            let key: Ident = input.parse().map_err(|e| {
                syn::Error::new(
                    e.span(),
                    format!("unexpected argument: after the directory path, `embed_migrations!` takes only {ARGUMENTS}"),
                )
            })?;
            let _eq: Token![=] = input.parse()?;
            match key.to_string().as_str() {
                "dialect" => parsed.dialects = Some(dialects(input)?),
                "allow" => parsed.allow = strings(input)?,
                "lints" => parsed.lints = lints(input)?,
                "lints_from" => {
                    let version: syn::LitInt = input.parse()?;
                    parsed.lints_from = Some(version.base10_parse().map_err(|_| {
                        syn::Error::new(
                            version.span(),
                            "`lints_from` takes a migration version, an integer that fits `i64`",
                        )
                    })?);
                }
                other => {
                    return Err(syn::Error::new(
                        key.span(),
                        format!("unknown argument `{other}`: `embed_migrations!` takes the directory, then {ARGUMENTS}"),
                    ))
                }
            }
        }
        Ok(parsed)
    }
}

/// A string literal, or a bracketed list of them.
fn strings(input: ParseStream) -> syn::Result<Vec<LitStr>> {
    if input.peek(syn::token::Bracket) {
        let content;
        syn::bracketed!(content in input);
        let list = content.parse_terminated(|i| i.parse::<LitStr>(), Token![,])?;
        Ok(list.into_iter().collect())
    } else {
        Ok(vec![input.parse()?])
    }
}

fn dialects(input: ParseStream) -> syn::Result<Vec<Dialect>> {
    let names = strings(input)?;
    if names.is_empty() {
        return Err(input.error(
            "`dialect = []` names no dialect: give `\"postgres\"`, `\"mysql\"` or `\"sqlite\"`",
        ));
    }
    names
        .iter()
        .map(|name| match name.value().as_str() {
            "postgres" | "postgresql" => Ok(Dialect::Postgres),
            "mysql" | "mariadb" => Ok(Dialect::MySql),
            "sqlite" => Ok(Dialect::Sqlite),
            other => Err(syn::Error::new(
                name.span(),
                format!(
                    "unknown dialect `{other}`: write `\"postgres\"`, `\"mysql\"` or `\"sqlite\"`"
                ),
            )),
        })
        .collect()
}

fn lints(input: ParseStream) -> syn::Result<Lints> {
    let level: LitStr = input.parse()?;
    match level.value().as_str() {
        "warn" => Ok(Lints::Warn),
        "deny" => Ok(Lints::Deny),
        other => Err(syn::Error::new(
            level.span(),
            format!("unknown lint level `{other}`: write `lints = \"warn\"` (the default) or `lints = \"deny\"`"),
        )),
    }
}

impl Input {
    /// The directory, resolved against `CARGO_MANIFEST_DIR` (absolute paths are kept).
    pub fn resolve(&self) -> syn::Result<PathBuf> {
        let path = PathBuf::from(&self.path);
        // Canonical when it exists: the paths in `include_str!`, `#[path]` and the compiler's
        // messages about Rust migrations are then free of symbolic links and `..`.
        let canonical = |path: PathBuf| path.canonicalize().unwrap_or(path);
        if path.is_absolute() {
            return Ok(canonical(path));
        }
        match std::env::var_os("CARGO_MANIFEST_DIR") {
            Some(dir) => Ok(canonical(PathBuf::from(dir).join(path))),
            None => Err(self.error(
                "`CARGO_MANIFEST_DIR` is not set; build with cargo, or give an absolute path",
            )),
        }
    }

    /// An error at the path literal.
    pub fn error(&self, message: impl std::fmt::Display) -> syn::Error {
        syn::Error::new(self.span, message)
    }
}

/// Splits `$crate, <arguments>` (what the facade's `macro_rules!` wrapper passes) into the
/// path of the facade and the user's arguments.
pub fn split_crate(input: TokenStream) -> syn::Result<(TokenStream, TokenStream)> {
    let mut tokens = input.into_iter();
    let mut krate = TokenStream::new();
    for token in tokens.by_ref() {
        if matches!(&token, TokenTree::Punct(punct) if punct.as_char() == ',') {
            return Ok((krate, tokens.collect()));
        }
        krate.extend([token]);
    }
    Err(syn::Error::new(
        Span::call_site(),
        "this macro is called through the facade's `embed_migrations!`, which passes the facade's path first",
    ))
}
