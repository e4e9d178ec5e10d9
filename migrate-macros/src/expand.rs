//! Code generation: the `migrations` module.

use std::path::Path;

use migrate_runtime::analysis::Dialect;
use migrate_runtime::source::{checksum::checksum, tracked};
use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};

use crate::code;
use crate::input::Input;
use crate::scan::{File, Role, RustFunctions};
use crate::sql::{Checked, Warning};
use crate::validate::Set;

/// `V<version>_<DESCRIPTION>`: the name of the item for one migration.
fn item_name(version: i64, description: &str) -> Ident {
    let upper: String = description
        .chars()
        .map(|c| {
            if c == '-' {
                '_'
            } else {
                c.to_ascii_uppercase()
            }
        })
        .collect();
    // The description holds only `[A-Za-z0-9_-]` (checked by `scan`), so this is an identifier.
    Ident::new(&format!("V{version}_{upper}"), Span::call_site())
}

fn script(krate: &TokenStream, file: &File) -> TokenStream {
    let name = &file.name;
    let path = file.path.to_string_lossy();
    let no_transaction = file.directives.no_transaction;
    quote! {
        #krate::__private::Script::new(#name, ::core::include_str!(#path), #no_transaction)
    }
}

/// `#[path = "…"] mod …;` for a migration written in Rust: the compiler reads the file as a
/// module of the generated `migrations` module, and reports its errors in that file.
fn rust_module(file: &File) -> (Ident, TokenStream) {
    let module = Ident::new(&format!("__rust_{}", file.version), Span::call_site());
    let path = file.path.to_string_lossy();
    let item = quote! {
        #[path = #path]
        #[doc(hidden)]
        mod #module;
    };
    (module, item)
}

/// The up and down scripts of a migration written in Rust, and the items they need.
fn rust_scripts(
    krate: &TokenStream,
    file: &File,
    functions: &RustFunctions,
) -> (TokenStream, TokenStream, TokenStream) {
    let (module, module_item) = rust_module(file);
    let name = &file.name;
    let path = file.path.to_string_lossy();
    let source = Ident::new(
        &format!("__RUST_SOURCE_{}", file.version),
        Span::call_site(),
    );
    let statics = |names: &[String]| -> Vec<Ident> {
        names
            .iter()
            .map(|function| Ident::new(&code::static_name(function), Span::call_site()))
            .collect()
    };
    let (ups, downs) = (statics(&functions.up), statics(&functions.down));
    let up = quote! {
        #krate::__private::Script::rust(#name, #source, &[#(&#module::#ups),*])
    };
    let down = if downs.is_empty() {
        quote!(::core::option::Option::None)
    } else {
        quote! {
            ::core::option::Option::Some(
                #krate::__private::Script::rust(#name, #source, &[#(&#module::#downs),*])
            )
        }
    };
    let items = quote! {
        #module_item
        const #source: &str = ::core::include_str!(#path);
    };
    (up, down, items)
}

/// Generates the module for a valid set.
pub fn expand(krate: &TokenStream, input: &Input, set: &Set, checked: &Checked) -> TokenStream {
    // A Rust file that does not parse: the compiler reports where when it reads the module.
    let unparsed: Vec<&File> = set
        .migrations
        .iter()
        .map(|m| &m.up)
        .filter(|file| file.role == Role::Rust && file.rust.is_none())
        .collect();
    if !unparsed.is_empty() {
        let mut error: Option<syn::Error> = None;
        let mut modules = Vec::new();
        for file in unparsed {
            let message = input.error(format!(
                "`{}` is not valid Rust; the compiler's error in that file says where",
                file.name
            ));
            match &mut error {
                Some(error) => error.combine(message),
                None => error = Some(message),
            }
            modules.push(rust_module(file).1);
        }
        if let Some(error) = error {
            return with_errors_and(krate, error, quote!(#(#modules)*));
        }
    }
    let mut items = Vec::with_capacity(set.migrations.len());
    let mut names = Vec::with_capacity(set.migrations.len());
    for migration in &set.migrations {
        let ident = item_name(migration.version, &migration.description);
        let version = migration.version;
        let description = &migration.description;
        let rust_down = migration
            .up
            .rust
            .as_ref()
            .is_some_and(|r| !r.down.is_empty());
        let (up, down) = if let Some(functions) = &migration.up.rust {
            let (up, down, support) = rust_scripts(krate, &migration.up, functions);
            items.push(support);
            (up, down)
        } else {
            let up = script(krate, &migration.up);
            let down = match &migration.down {
                Some(down) => {
                    let down = script(krate, down);
                    quote!(::core::option::Option::Some(#down))
                }
                None => quote!(::core::option::Option::None),
            };
            (up, down)
        };
        let sum = checksum(migration.up.content.as_bytes());
        let doc = match &migration.down {
            _ if migration.up.role == Role::Rust => format!(
                "Migration {version} `{description}`: written in Rust in `{}`{}.",
                migration.up.name,
                if rust_down {
                    ", reverted by its `down` function"
                } else {
                    ""
                }
            ),
            Some(down) => format!(
                "Migration {version} `{description}`: `{}`, reverted by `{}`.",
                migration.up.name, down.name
            ),
            None => format!(
                "Migration {version} `{description}`: `{}`.",
                migration.up.name
            ),
        };
        items.push(quote! {
            #[doc = #doc]
            pub static #ident: #krate::Migration = #krate::__private::Migration::new(
                #version, #description, #up, #down, [#(#sum),*],
            );
        });
        names.push(ident);
    }
    let source = &input.path;
    let module_doc = format!(
        "The {} migrations embedded from `{source}` by `migrate::embed_migrations!`, in version order.",
        set.migrations.len()
    );
    let dir = set.dir.to_string_lossy();
    let dialects = dialects(krate, &checked.dialects);
    let allowed: Vec<String> = input.allow.iter().map(syn::LitStr::value).collect();
    let lints_from = input
        .lints_from
        .map(|version| quote!(.with_lints_from(#version)));
    let build_script_warning = build_script_warning(input, &set.dir);
    let sql_warnings = checked
        .warnings
        .iter()
        .map(|warning| sql_warning(input, warning));
    quote! {
        #[doc = #module_doc]
        pub mod migrations {
            #[doc(hidden)]
            #[allow(unused_imports)]
            use #krate as __migrate;

            #(#items)*

            /// Every migration, in version order.
            pub static MIGRATIONS: #krate::Migrations = #krate::__private::Migrations::new(
                #source,
                // The absolute path of the build machine only where `migrate new` may use it:
                // never in a release binary.
                {
                    #[cfg(debug_assertions)]
                    let dir = #dir;
                    #[cfg(not(debug_assertions))]
                    let dir = "";
                    dir
                },
                &[#(&#names),*],
            )
            // What `migrate lint` needs to report what this build reports.
            .with_dialects(&[#(#dialects),*])
            .with_allowed_lints(&[#(#allowed),*])
            #lints_from;

            /// A migrator over [`MIGRATIONS`] with the default settings, to configure before running.
            pub fn migrator() -> #krate::Migrator {
                #krate::Migrator::new(&MIGRATIONS)
            }

            /// Applies every pending migration under the migration lock, with the default settings.
            ///
            /// # Errors
            /// See [`Error`](__migrate::Error): drift between the binary and the database,
            /// a failed migration, a lock that could not be had in time, or a database error.
            pub async fn run<P: #krate::Pool>(
                pool: &P,
            ) -> ::core::result::Result<#krate::Report, #krate::Error> {
                migrator().run(pool).await
            }

            #build_script_warning
            #(#sql_warnings)*
        }
    }
}

/// The dialects the SQL was read in, as paths to the runtime's variants.
fn dialects(krate: &TokenStream, dialects: &[Dialect]) -> Vec<TokenStream> {
    dialects
        .iter()
        .filter_map(|dialect| {
            let variant = match dialect {
                Dialect::Postgres => "Postgres",
                Dialect::MySql => "MySql",
                Dialect::Sqlite => "Sqlite",
                // The macro reads only the three above.
                _ => return None,
            };
            let variant = Ident::new(variant, Span::call_site());
            Some(quote!(#krate::__private::Dialect::#variant))
        })
        .collect()
}

/// A deprecation warning at the macro call when cargo would not rebuild after a migration is
/// *added*: the crate has no build script (`OUT_DIR` is unset), or its build script does not
/// call `migrate::build::track` for this directory. Edits and removals are tracked anyway,
/// through `include_str!`.
fn build_script_warning(input: &Input, dir: &Path) -> TokenStream {
    if is_tracked(dir) {
        return TokenStream::new();
    }
    let note = format!(
        "cargo will not rebuild this crate when a migration is added to `{0}`: add a `build.rs` with `fn main() {{ migrate::build::track(\"{0}\"); }}` and `migrate = {{ package = \"checked-migrations\", default-features = false, … }}` under [build-dependencies] (see the docs of `migrate::build`)",
        input.path
    );
    let span = input.span;
    quote_spanned! {span=>
        #[deprecated(note = #note)]
        #[doc(hidden)]
        #[allow(non_upper_case_globals)]
        const no_build_script_tracks_new_migrations: () = ();
        const _: () = no_build_script_tracks_new_migrations;
    }
}

/// A warning of the `sql` stage, at the macro call: stable Rust has no warning API for
/// procedural macros, so it is the deprecation note of a constant named after the rule, used
/// in its own anonymous constant (so that two warnings of one rule do not clash).
fn sql_warning(input: &Input, warning: &Warning) -> TokenStream {
    let name = Ident::new(&warning.name, input.span);
    let text = &warning.text;
    quote_spanned! {input.span=>
        const _: () = {
            #[deprecated(note = #text)]
            #[allow(non_upper_case_globals)]
            const #name: () = ();
            #name
        };
    }
}

fn is_tracked(dir: &Path) -> bool {
    std::env::var_os("OUT_DIR").is_some_and(|out_dir| tracked::is_tracked(Path::new(&out_dir), dir))
}

/// What the macro expands to when there are errors: the errors, and a stand-in module so that
/// uses of `migrations::run` do not add "cannot find" errors on top.
pub fn with_errors(krate: &TokenStream, error: syn::Error) -> TokenStream {
    with_errors_and(krate, error, TokenStream::new())
}

/// [`with_errors`], with `extra` items in the stand-in module.
fn with_errors_and(krate: &TokenStream, error: syn::Error, extra: TokenStream) -> TokenStream {
    let errors = error.to_compile_error();
    quote! {
        #errors
        #[allow(dead_code, unused)]
        pub mod migrations {
            use #krate as __migrate;
            #extra
            pub static MIGRATIONS: #krate::Migrations =
                #krate::__private::Migrations::new("", "", &[]);
            pub fn migrator() -> #krate::Migrator {
                #krate::Migrator::new(&MIGRATIONS)
            }
            pub async fn run<P: #krate::Pool>(
                pool: &P,
            ) -> ::core::result::Result<#krate::Report, #krate::Error> {
                migrator().run(pool).await
            }
        }
    }
}
