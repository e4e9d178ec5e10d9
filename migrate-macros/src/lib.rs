//! Procedural macro of the [`migrate`](https://docs.rs/migrate) crate.
//!
//! Use it through `migrate::embed_migrations!`; this crate is an implementation detail and
//! its version is pinned by the facade.
//!
//! The macro runs in stages, each in its own module: [`input`] parses the macro arguments,
//! [`scan`] reads the directory and parses every file name and header, [`validate`] checks
//! the set as a whole, and [`expand`] generates the module. Every stage collects all of its
//! problems and the macro reports them together, so one build shows every bad file.

mod code;
mod directive;
mod expand;
mod input;
mod scan;
mod validate;

use proc_macro::TokenStream;

/// Embeds a directory of SQL migrations, validated at compile time.
///
/// See `migrate::embed_migrations!` for the documentation.
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    let input = match syn::parse::<input::Input>(input) {
        Ok(input) => input,
        Err(error) => return expand::with_errors(error).into(),
    };
    match scan::scan(&input).and_then(|dir| validate::validate(&input, dir)) {
        Ok(set) => expand::expand(&input, &set).into(),
        Err(error) => expand::with_errors(error).into(),
    }
}

/// Marks the `up` function of a migration written in Rust: a `<version>_<description>.rs`
/// file in the migrations directory.
///
/// See `migrate::up` for the documentation.
#[proc_macro_attribute]
pub fn up(args: TokenStream, item: TokenStream) -> TokenStream {
    code::attribute(code::Direction::Up, args.into(), item.into()).into()
}

/// Marks the `down` function of a migration written in Rust, which makes it reversible.
///
/// See `migrate::down` for the documentation.
#[proc_macro_attribute]
pub fn down(args: TokenStream, item: TokenStream) -> TokenStream {
    code::attribute(code::Direction::Down, args.into(), item.into()).into()
}
