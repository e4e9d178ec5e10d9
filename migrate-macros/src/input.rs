//! The macro's arguments: `embed_migrations!("path")`.

use std::path::PathBuf;

use proc_macro2::{Span, TokenStream, TokenTree};
use syn::parse::{Parse, ParseStream};
use syn::LitStr;

/// Parsed arguments of one macro call.
pub struct Input {
    /// The path as written by the user, for messages.
    pub path: String,
    /// The span of the path literal: every error points here.
    pub span: Span,
}

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
        if input.peek(syn::Token![,]) {
            let _comma: syn::Token![,] = input.parse()?;
        }
        if !input.is_empty() {
            return Err(input
                .error("unexpected argument: `embed_migrations!` takes only the directory path"));
        }
        Ok(Input {
            path: lit.value(),
            span: lit.span(),
        })
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
