//! The `sql` stage: reads the SQL of a valid set with `migrate_runtime::analysis` (a schema
//! model across migrations, certain errors, lints) and, for SQLite, executes it.
//!
//! Errors (and lints under `lints = "deny"`) become compile errors at the macro call, every
//! one of them in one build; lints are warnings, emitted by [`crate::expand`].
//!
//! The dialect is the `dialect = …` argument, else the one backend feature the facade enables.
//! With several backend features and no argument the SQL is not read, and a warning says to
//! name the dialect (reading PostgreSQL SQL as SQLite would report errors that are not).

use migrate_runtime::analysis::{self, Dialect, File, Finding, Settings, Severity};

use crate::input::{Input, Lints};
use crate::scan::Role;
use crate::validate::Set;

/// A warning for `expand` to emit.
pub struct Warning {
    /// The name of the constant whose deprecation carries it: the rule's name, in snake case.
    pub name: String,
    /// The text rustc shows.
    pub text: String,
}

/// What the `sql` stage passes to `expand`.
pub struct Checked {
    /// The dialects the SQL was read in (none when it was not read): recorded in the
    /// generated `Migrations`, so that `migrate lint` reads it the same way.
    pub dialects: Vec<Dialect>,
    /// The warnings to emit.
    pub warnings: Vec<Warning>,
}

/// Reads the SQL of `set`. Returns the dialects and warnings, or every error.
pub fn check(input: &Input, set: &Set) -> syn::Result<Checked> {
    // An unknown name in `allow` is reported with whatever the SQL has: one build, every error.
    let (mut settings, mut error) = settings(input);
    settings.lints_from = input.lints_from;
    let dialects = match dialects(input) {
        Ok(dialects) => dialects,
        Err(warning) => {
            return match error {
                Some(error) => Err(error),
                None => Ok(Checked {
                    dialects: Vec::new(),
                    warnings: vec![warning],
                }),
            }
        }
    };
    let files = files(set);
    // The analysis is tested never to panic; should it still, the build goes on without it
    // rather than failing with "proc macro panicked".
    let analyzed = std::panic::catch_unwind(|| {
        dialects
            .iter()
            .map(|dialect| analysis::analyze_files(&files, *dialect, &settings))
            .collect::<Vec<Vec<Finding>>>()
    });
    let Ok(per_dialect) = analyzed else {
        let warning = Warning {
            name: "sql_not_checked".to_owned(),
            text: format!(
                "the SQL of `{}` is not checked: the analysis failed on it (a bug in migrate; please report it with the directory)",
                input.path
            ),
        };
        return match error {
            Some(error) => Err(error),
            None => Ok(Checked {
                dialects: Vec::new(),
                warnings: vec![warning],
            }),
        };
    };
    let findings = analysis::combine(per_dialect);
    let mut warnings = Vec::new();
    for finding in findings {
        let fails = finding.severity() == Severity::Error || input.lints == Lints::Deny;
        if fails {
            let message = input.error(finding.to_string());
            match &mut error {
                Some(error) => error.combine(message),
                None => error = Some(message),
            }
        } else {
            warnings.push(Warning {
                name: finding.code().replace('-', "_"),
                text: finding.to_string(),
            });
        }
    }
    match error {
        Some(error) => Err(error),
        None => Ok(Checked { dialects, warnings }),
    }
}

/// The settings of `allow = […]`, and an error at each unknown name's literal.
fn settings(input: &Input) -> (Settings, Option<syn::Error>) {
    let mut settings = Settings::default();
    let mut error: Option<syn::Error> = None;
    for name in &input.allow {
        if !settings.allow_name(&name.value()) {
            let hint = match Settings::closest_name(&name.value()) {
                Some(known) => format!("did you mean `{known}`?"),
                None => format!("the names are: {}", Settings::allowable_names().join(", ")),
            };
            let message = syn::Error::new(
                name.span(),
                format!(
                    "`allow`: there is no rule or error `{}`; {hint}",
                    name.value()
                ),
            );
            match &mut error {
                Some(error) => error.combine(message),
                None => error = Some(message),
            }
        }
    }
    (settings, error)
}

/// The dialects to read the SQL in, or the warning that says why it is not read.
fn dialects(input: &Input) -> Result<Vec<Dialect>, Warning> {
    if let Some(dialects) = &input.dialects {
        return Ok(dialects.clone());
    }
    let enabled: Vec<Dialect> = [
        (cfg!(feature = "postgres"), Dialect::Postgres),
        (cfg!(feature = "mysql"), Dialect::MySql),
        (cfg!(feature = "sqlite"), Dialect::Sqlite),
    ]
    .into_iter()
    .filter_map(|(on, dialect)| on.then_some(dialect))
    .collect();
    match enabled.len() {
        // No backend: the facade only builds (`migrate::build`); there is nothing to run.
        0 => Ok(Vec::new()),
        1 => Ok(enabled),
        _ => Err(Warning {
            name: "name_the_dialect".to_owned(),
            text: format!(
                "the SQL of `{}` is not checked: several database features are enabled, so the macro cannot tell which dialect it is written in; name it: `embed_migrations!(\"{}\", dialect = \"postgres\")` (or `\"mysql\"`, `\"sqlite\"`, or a list of the ones it runs on)",
                input.path, input.path
            ),
        }),
    }
}

/// The files of `set` as the analysis reads them.
fn files(set: &Set) -> Vec<File<'_>> {
    let mut files = Vec::with_capacity(set.migrations.len() * 2);
    for migration in &set.migrations {
        let up = &migration.up;
        if up.role == Role::Rust {
            files.push(File::rust(migration.version, &up.name));
            continue;
        }
        files.push(File::sql(
            migration.version,
            &up.name,
            strip_bom(&up.content),
            !up.directives.no_transaction,
        ));
        if let Some(down) = &migration.down {
            files.push(File::down(
                migration.version,
                &down.name,
                strip_bom(&down.content),
                !down.directives.no_transaction,
            ));
        }
    }
    files
}

fn strip_bom(content: &str) -> &str {
    content.strip_prefix('\u{feff}').unwrap_or(content)
}
