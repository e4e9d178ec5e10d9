//! Procedural macro of the [`migrate`](https://docs.rs/migrate) crate.
//!
//! Use it through `migrate::embed_migrations!`; this crate is an implementation detail and
//! its version is pinned by the facade.
//!
//! The macro runs in stages, each in its own module: [`input`] parses the macro arguments,
//! [`scan`] reads the directory and parses every file name and header, [`validate`] checks
//! the set as a whole, and [`expand`] generates the module. Every stage collects all of its
//! problems and the macro reports them together, so one build shows every bad file.
//!
//! File names, directives, checksums and the list of tracked directories are read by
//! `migrate_runtime::source`: the code that the runtime and `migrate::build` use, so the
//! macro cannot disagree with them.

mod code;
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
