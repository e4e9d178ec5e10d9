//! Reading migration files: the one implementation that the `embed_migrations!` macro, the
//! runtime and the facade's `build` module all call, so that what is checked at compile time
//! is what is used at run time.
//!
//! - [`name`]: which file names are migrations, and what a name says (version, description,
//!   role).
//! - [`checksum`]: the checksum stored in the history table.
//! - [`directive`]: the `-- migrate:…` comments at the top of a file.
//! - [`tracked`]: the list of directories that `migrate::build::track` records in `OUT_DIR`
//!   for the macro.
//!
//! This module needs no database backend: the macro crate depends on this crate with
//! `default-features = false`. It is not part of the public API.

pub mod checksum;
pub mod directive;
pub mod name;
pub mod tracked;
