//! Code generation: the `migrations` module.

use std::path::Path;

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned};
use sha2::{Digest, Sha256};

use crate::input::Input;
use crate::scan::File;
use crate::validate::Set;

/// The name of the file that `migrate::build::track` writes into `OUT_DIR`. Keep in step
/// with `src/build.rs` of the facade.
const TRACKED_LIST: &str = "migrate-tracked-dirs";

/// The checksum of a migration: SHA-256 of its content without a BOM and with CRLF turned
/// into LF. Keep in step with `migrate_runtime::checksum`.
fn checksum(content: &str) -> [u8; 32] {
    let body = content.strip_prefix('\u{feff}').unwrap_or(content);
    Sha256::digest(body.replace("\r\n", "\n").as_bytes()).into()
}

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

fn script(file: &File) -> TokenStream {
    let name = &file.name;
    let path = file.path.to_string_lossy();
    let no_transaction = file.directives.no_transaction;
    quote! {
        ::migrate::__private::Script::new(#name, ::core::include_str!(#path), #no_transaction)
    }
}

/// Generates the module for a valid set.
pub fn expand(input: &Input, set: &Set) -> TokenStream {
    let mut items = Vec::with_capacity(set.migrations.len());
    let mut names = Vec::with_capacity(set.migrations.len());
    for migration in &set.migrations {
        let ident = item_name(migration.version, &migration.description);
        let version = migration.version;
        let description = &migration.description;
        let up = script(&migration.up);
        let down = match &migration.down {
            Some(down) => {
                let down = script(down);
                quote!(::core::option::Option::Some(#down))
            }
            None => quote!(::core::option::Option::None),
        };
        let sum = checksum(&migration.up.content);
        let doc = match &migration.down {
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
            pub static #ident: ::migrate::Migration = ::migrate::__private::Migration::new(
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
    let build_script_warning = build_script_warning(input, &set.dir);
    quote! {
        #[doc = #module_doc]
        pub mod migrations {
            #(#items)*

            /// Every migration, in version order.
            pub static MIGRATIONS: ::migrate::Migrations =
                ::migrate::__private::Migrations::new(#source, #dir, &[#(&#names),*]);

            /// A migrator over [`MIGRATIONS`] with the default settings, to configure before running.
            pub fn migrator() -> ::migrate::Migrator {
                ::migrate::Migrator::new(&MIGRATIONS)
            }

            /// Applies every pending migration under the migration lock, with the default settings.
            ///
            /// # Errors
            /// See [`migrate::Error`](::migrate::Error): drift between the binary and the database,
            /// a failed migration, a lock that could not be had in time, or a database error.
            pub async fn run<P: ::migrate::Pool>(
                pool: &P,
            ) -> ::core::result::Result<::migrate::Report, ::migrate::Error> {
                migrator().run(pool).await
            }

            #build_script_warning
        }
    }
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
        "cargo will not rebuild this crate when a migration is added to `{0}`: add a `build.rs` with `fn main() {{ migrate::build::track(\"{0}\"); }}` and `migrate` under [build-dependencies] (see the docs of `migrate::build`)",
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

fn is_tracked(dir: &Path) -> bool {
    let Some(out_dir) = std::env::var_os("OUT_DIR") else {
        return false;
    };
    let Ok(list) = std::fs::read_to_string(Path::new(&out_dir).join(TRACKED_LIST)) else {
        return false;
    };
    let Ok(dir) = dir.canonicalize() else {
        return false;
    };
    list.lines().any(|tracked| dir.starts_with(tracked))
}

/// What the macro expands to when there are errors: the errors, and a stand-in module so that
/// uses of `migrations::run` do not add "cannot find" errors on top.
pub fn with_errors(error: syn::Error) -> TokenStream {
    let errors = error.to_compile_error();
    quote! {
        #errors
        #[allow(dead_code, unused)]
        pub mod migrations {
            pub static MIGRATIONS: ::migrate::Migrations =
                ::migrate::__private::Migrations::new("", "", &[]);
            pub fn migrator() -> ::migrate::Migrator {
                ::migrate::Migrator::new(&MIGRATIONS)
            }
            pub async fn run<P: ::migrate::Pool>(
                pool: &P,
            ) -> ::core::result::Result<::migrate::Report, ::migrate::Error> {
                migrator().run(pool).await
            }
        }
    }
}
