//! `#[migrate::up]` and `#[migrate::down]`: the functions of a migration written in Rust.
//!
//! The attribute keeps the function as written and adds a static `__MIGRATE_FN_<name>` that
//! `embed_migrations!` puts in the migration list. The glue reaches the facade through
//! `super::__migrate`, a private import of the facade's `$crate` in the generated `migrations`
//! module, of which the migration's module is a child: it works whatever name the user gave
//! the dependency. The glue is
//! spanned at the function's signature, so a wrong argument or return type is reported in
//! the migration's own `.rs` file, at the function.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn, ReturnType};

/// Which function of a Rust migration an attribute marks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Direction {
    Up,
    Down,
}

impl Direction {
    pub fn word(self) -> &'static str {
        match self {
            Direction::Up => "up",
            Direction::Down => "down",
        }
    }
}

/// The static the attribute generates for function `name`, which `embed_migrations!` refers to.
pub fn static_name(name: &str) -> String {
    format!("__MIGRATE_FN_{name}")
}

const SIGNATURE: &str = "async fn up(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error>";

/// Expands `#[migrate::up]` or `#[migrate::down]` on `item`.
pub fn attribute(direction: Direction, args: TokenStream, item: TokenStream) -> TokenStream {
    let word = direction.word();
    if !args.is_empty() {
        return syn::Error::new(
            args.span(),
            format!("`#[migrate::{word}]` takes no arguments"),
        )
        .to_compile_error();
    }
    let function: ItemFn = match syn::parse2::<syn::Item>(item.clone()) {
        Ok(syn::Item::Fn(function)) => function,
        Ok(other) => {
            let error = syn::Error::new(
                other.span(),
                format!("`#[migrate::{word}]` goes on the migration's async function, e.g. `{SIGNATURE}`"),
            )
            .to_compile_error();
            return quote!(#error #item);
        }
        // The compiler reports the syntax error itself.
        Err(_) => return item,
    };
    match check(&function, word) {
        Ok(()) => glue(&function),
        Err(error) => {
            let error = error.to_compile_error();
            quote!(#error #function)
        }
    }
}

/// Checks what the type checker would report less clearly: `async`, one argument, no
/// generics, no `self`.
fn check(function: &ItemFn, word: &str) -> syn::Result<()> {
    let sig = &function.sig;
    if sig.asyncness.is_none() {
        return Err(syn::Error::new(
            sig.fn_token.span(),
            format!("a migration's `{word}` function must be `async`, e.g. `{SIGNATURE}`"),
        ));
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        return Err(syn::Error::new(
            sig.generics.span(),
            format!("a migration's `{word}` function cannot be generic: it takes the connection of one database, e.g. `&mut sqlx::PgConnection`"),
        ));
    }
    if let Some(variadic) = &sig.variadic {
        return Err(syn::Error::new(
            variadic.span(),
            "a migration function is not variadic",
        ));
    }
    let mut inputs = sig.inputs.iter();
    match (inputs.next(), inputs.next()) {
        (Some(FnArg::Typed(_)), None) => {}
        (Some(FnArg::Receiver(receiver)), _) => {
            return Err(syn::Error::new(
                receiver.span(),
                format!("a migration's `{word}` function is a free function, not a method"),
            ))
        }
        (None, _) => {
            return Err(syn::Error::new(
                sig.paren_token.span.join(),
                format!("a migration's `{word}` function takes one argument, the connection of the migration's transaction, e.g. `{SIGNATURE}`"),
            ))
        }
        (Some(_), Some(extra)) => {
            return Err(syn::Error::new(
                extra.span(),
                format!("a migration's `{word}` function takes only one argument, the connection of the migration's transaction"),
            ))
        }
    }
    if let ReturnType::Default = sig.output {
        return Err(syn::Error::new(
            sig.paren_token.span.join(),
            format!("a migration's `{word}` function returns `Result<(), E>`, e.g. `{SIGNATURE}`"),
        ));
    }
    Ok(())
}

/// The function as written, and the static that calls it through a type-erased connection.
fn glue(function: &ItemFn) -> TokenStream {
    let name = &function.sig.ident;
    let span = function.sig.span();
    let item = Ident::new(&static_name(&name.to_string()), Span::call_site());
    let entry = Ident::new(&format!("__migrate_entry_{name}"), Span::call_site());
    let name_text = name.to_string();
    // Spanned at the signature: type errors in `call` (an argument that is not a
    // connection, a return type that is not a `Result`) point at the function.
    let call = quote_spanned! {span=>
        super::__migrate::__private::call(connection, #name)
    };
    quote! {
        #function

        #[doc(hidden)]
        fn #entry<'c>(
            connection: ::core::option::Option<&'c mut (dyn ::core::any::Any + ::core::marker::Send)>,
        ) -> (super::__migrate::Backend, ::core::option::Option<super::__migrate::__private::CodeFuture<'c>>) {
            #call
        }

        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        pub(crate) static #item: super::__migrate::Code =
            super::__migrate::__private::Code::new(#name_text, #entry);
    }
}
