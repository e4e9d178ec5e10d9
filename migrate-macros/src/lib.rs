//! Procedural macros of the [`checked-migrations`](https://docs.rs/checked-migrations) crate.
//!
//! Use it through the facade's `embed_migrations!`, `#[up]` and `#[down]`; this crate is an
//! implementation detail and its version is pinned by the facade.
//!
//! Generated code never names the facade: `embed_migrations!` receives the facade's `$crate`
//! from the facade's `macro_rules!` wrapper, and the glue of `#[up]`/`#[down]` reaches it
//! through a private import of the generated `migrations` module (the module of a Rust
//! migration is a child of it). Both work when the user renames the dependency.
//!
//! The macro runs in stages, each in its own module: [`input`] parses the macro arguments,
//! [`scan`] reads the directory and parses every file name and header, [`validate`] checks
//! the set as a whole, [`sql`] reads the SQL (schema model, certain errors, lints), and
//! [`expand`] generates the module. Every stage collects all of its
//! problems and the macro reports them together, so one build shows every bad file.
//!
//! File names, directives, checksums and the list of tracked directories are read by
//! `migrate_runtime::source`: the code that the runtime and `migrate::build` use, so the
//! macro cannot disagree with them.

mod code;
mod expand;
mod input;
mod scan;
mod sql;
mod validate;

use proc_macro::TokenStream;

/// Embeds a directory of SQL migrations, validated at compile time.
///
/// Not called directly: the facade's `embed_migrations!` (a `macro_rules!` macro) calls it as
/// `embed_migrations!($crate, "path")`, so that the generated code reaches the facade through
/// `$crate`, whatever name the user gave the dependency. See the facade's `embed_migrations!`
/// for the documentation.
#[doc(hidden)]
#[proc_macro]
pub fn embed_migrations(input: TokenStream) -> TokenStream {
    let (krate, rest) = match input::split_crate(input.into()) {
        Ok(split) => split,
        Err(error) => return error.to_compile_error().into(),
    };
    let input = match syn::parse2::<input::Input>(rest) {
        Ok(input) => input,
        Err(error) => return expand::with_errors(&krate, error).into(),
    };
    let checked = scan::scan(&input)
        .and_then(|dir| validate::validate(&input, dir))
        .and_then(|set| sql::check(&input, &set).map(|checked| (set, checked)));
    match checked {
        Ok((set, checked)) => expand::expand(&krate, &input, &set, &checked).into(),
        Err(error) => expand::with_errors(&krate, error).into(),
    }
}

/// Marks an `up` function of a migration written in Rust: a `<version>_<description>.rs`
/// file in the migrations directory, which `embed_migrations!` compiles as a module.
///
/// The function is `async`, takes the connection of the migration's transaction (`&mut
/// sqlx::PgConnection`, `&mut sqlx::MySqlConnection` or `&mut sqlx::SqliteConnection`) and
/// returns `Result<(), E>` for any error type that converts into
/// `Box<dyn std::error::Error + Send + Sync>` (`sqlx::Error`, `anyhow::Error`, …). It runs
/// under the migration lock, in one transaction with its history row: when it returns an
/// error, nothing of it stays applied. A file may hold one `up` function per database; the
/// migrator runs the one for the database it migrates.
///
/// ```ignore
/// // migrations/0005_backfill_handles.rs
/// #[migrate::up]
/// async fn up(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
///     sqlx::query("UPDATE users SET handle = lower(email) WHERE handle IS NULL")
///         .execute(conn)
///         .await?;
///     Ok(())
/// }
/// ```
#[proc_macro_attribute]
pub fn up(args: TokenStream, item: TokenStream) -> TokenStream {
    code::attribute(code::Direction::Up, args.into(), item.into()).into()
}

/// Marks a `down` function of a migration written in Rust, which makes the migration
/// reversible: the same form as [`macro@up`], run when the migration is reverted, in one
/// transaction with the deletion of its history row.
#[proc_macro_attribute]
pub fn down(args: TokenStream, item: TokenStream) -> TokenStream {
    code::attribute(code::Direction::Down, args.into(), item.into()).into()
}
