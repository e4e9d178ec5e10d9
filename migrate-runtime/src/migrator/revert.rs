//! Reverting applied migrations, newest first: with the down file of this binary, the
//! `down` function of a Rust migration, or the down script recorded in the history. A down
//! script that runs statement by statement records its progress (see `revert_steps`), and
//! a revert that stopped part-way is resumed here before anything else.

use std::time::Instant;

use super::prefix::PrefixChecksum;
use super::{code_error, function_for, status::shown, Migrator, Op, Progress};
use crate::code::{Backend, Code};
use crate::driver::{first_text, locate_by_replay, Driver};
use crate::history::{AppliedMigration, Direction};
use crate::location::{char_to_byte, db_message, locate};
use crate::lock::Guard;
use crate::migration::{checksum, Migration, Script};
use crate::plan::{unfinished_revert, RECORDED_DOWN};
use crate::report::{Applied, Report};
use crate::statements::{self, Dialect};
use crate::Error;

/// Which applied migrations a revert undoes, newest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Down {
    /// Every migration applied after this version (which stays applied).
    To(i64),
    /// The newest N.
    Steps(usize),
    /// All of them.
    All,
}

/// A migration to revert and the down script that reverts it.
pub(super) struct Revert {
    pub(super) version: i64,
    pub(super) name: String,
    pub(super) file: String,
    pub(super) sql: String,
    no_transaction: bool,
    /// The `down` function of a Rust migration, which runs instead of `sql`.
    code: Option<(&'static Script, &'static Code)>,
    /// For an unfinished revert, where this one resumes it.
    pub(super) resume: Option<Resume>,
}

/// Where an unfinished revert resumes.
#[derive(Clone, Copy, Debug)]
pub(super) struct Resume {
    /// How many statements of the down script it applied (checked to be unchanged).
    pub(super) after: usize,
    /// Whether its runner died (no error was recorded): then the first statement to run may
    /// have completed before its progress was recorded.
    pub(super) interrupted: bool,
}

impl Revert {
    /// Whether a Rust `down` function runs rather than SQL.
    pub(super) fn is_rust(&self) -> bool {
        self.code.is_some()
    }

    /// The SQL that reverting runs: all of `sql`, or what follows the statements already
    /// applied.
    pub(super) fn sql_to_run(&self, dialect: Dialect) -> String {
        let Some(Resume { after: skip, .. }) = self.resume else {
            return self.sql.clone();
        };
        let rest: Vec<&str> = statements::split(&self.sql, dialect)
            .into_iter()
            .skip(skip)
            .map(|s| s.sql)
            .collect();
        rest.join(";\n") + ";"
    }
}

impl Migrator {
    /// Reverts every migration applied after `target`, newest first; `target` stays applied.
    ///
    /// Each down script runs with the deletion of its history row in one transaction (where
    /// DDL is transactional); elsewhere (MySQL, a `-- migrate:no-transaction` down file) it
    /// runs statement by statement with its progress recorded, and a failure leaves an
    /// unfinished revert ([`Error::RevertUnfinished`]) that the next revert resumes at the
    /// failed statement once it is fixed (or, unchanged, with [`Migrator::retry`]). A migration this binary does not contain is reverted with the
    /// down script recorded when it was applied. Nothing is reverted unless every migration
    /// in the way can be: otherwise [`Error::Irreversible`].
    pub async fn revert_to<P: crate::Pool>(
        &self,
        pool: &P,
        target: &'static Migration,
    ) -> Result<Report, Error> {
        let to = self.version_of(target)?;
        self.execute(pool, Op::Down(Down::To(to))).await
    }

    /// Reverts the newest `steps` applied migrations (see [`Migrator::revert_to`]).
    pub async fn revert_steps<P: crate::Pool>(
        &self,
        pool: &P,
        steps: usize,
    ) -> Result<Report, Error> {
        self.execute(pool, Op::Down(Down::Steps(steps))).await
    }

    /// Reverts every applied migration (see [`Migrator::revert_to`]).
    pub async fn revert_all<P: crate::Pool>(&self, pool: &P) -> Result<Report, Error> {
        self.execute(pool, Op::Down(Down::All)).await
    }

    /// The migrations `down` reverts, newest first, each with its down script; fails before
    /// anything runs if one has none, or if a migration is unfinished.
    pub(super) async fn reverts(
        &self,
        driver: &mut dyn Driver,
        history: &[AppliedMigration],
        down: Down,
    ) -> Result<Vec<Revert>, Error> {
        let reverting = self.reverting_row(history)?;
        let mut applied: Vec<&AppliedMigration> = history.iter().collect();
        applied.sort_by_key(|row| std::cmp::Reverse(row.version));
        let chosen: Vec<&AppliedMigration> = match down {
            Down::To(keep) => applied
                .into_iter()
                .filter(|row| row.version > keep)
                .collect(),
            Down::Steps(steps) => applied.into_iter().take(steps).collect(),
            Down::All => applied,
        };
        if let Some(row) = reverting {
            if chosen.first().map(|first| first.version) != Some(row.version) {
                return Err(Error::RevertUnfinished {
                    version: row.version,
                    file: crate::plan::down_file(self.migrations, row.version),
                    statements_applied: row.statements_applied,
                    message: "this revert does not include it, and nothing else runs until it is finished: \
                              run `down` (the newest migration) to resume it"
                        .to_owned(),
                });
            }
        }
        let database = driver.sql().backend;
        let mut reverts = Vec::with_capacity(chosen.len());
        for row in chosen {
            let mut revert = self.revert_of(driver, row, database).await?;
            if row.direction() == Direction::Down {
                let after = self.resumable(&revert, row, driver.sql().dialect)?;
                revert.resume = Some(Resume {
                    after,
                    interrupted: row.error.is_none(),
                });
            }
            reverts.push(revert);
        }
        Ok(reverts)
    }

    /// The unfinished revert in `history`, if there is one; an error if another migration
    /// is unfinished (a revert cannot pass it), or more than one.
    fn reverting_row<'h>(
        &self,
        history: &'h [AppliedMigration],
    ) -> Result<Option<&'h AppliedMigration>, Error> {
        let unfinished: Vec<&AppliedMigration> =
            history.iter().filter(|row| !row.success).collect();
        match unfinished[..] {
            [] => Ok(None),
            [row] if row.direction() == Direction::Down => Ok(Some(row)),
            [row] => Err(Error::Dirty {
                version: row.version,
                file: self.file_of(row),
                statements_applied: row.statements_applied,
                message: "it is unfinished; finish or repair it before reverting anything"
                    .to_owned(),
            }),
            [_, row, ..] => Err(Error::Dirty {
                version: row.version,
                file: self.file_of(row),
                statements_applied: row.statements_applied,
                message: "more than one migration is marked as unfinished; check the history table by hand"
                    .to_owned(),
            }),
        }
    }

    /// How `row` is reverted: the down file (or `down` function) of this binary, else the
    /// down script recorded when it was applied; [`Error::Irreversible`] without either.
    pub(super) async fn revert_of(
        &self,
        driver: &mut dyn Driver,
        row: &AppliedMigration,
        database: Backend,
    ) -> Result<Revert, Error> {
        let own = self
            .migrations
            .get(row.version)
            .and_then(|m| m.down().map(|d| (m, d)));
        if let Some((migration, down)) = own {
            let code = function_for(migration, down, database)?;
            return Ok(Revert {
                version: row.version,
                name: migration.name().to_owned(),
                file: down.file().to_owned(),
                sql: shown(down, database),
                no_transaction: down.no_transaction(),
                code: code.map(|code| (down, code)),
                resume: None,
            });
        }
        let query = driver.sql().recorded_down_script(&self.table, row.version);
        let recorded = first_text(driver, query)
            .await
            .map_err(Error::db("reading a recorded down script"))?;
        let Some(sql) = recorded else {
            return Err(Error::Irreversible {
                version: row.version,
                file: self.file_of(row),
            });
        };
        Ok(Revert {
            version: row.version,
            name: row.name.clone(),
            file: RECORDED_DOWN.to_owned(),
            no_transaction: crate::source::directive::read(&sql).no_transaction,
            sql,
            code: None,
            resume: None,
        })
    }

    /// Where the unfinished revert `row` resumes with `revert`: after the statements it
    /// applied, if they are unchanged in the down script and the script was fixed since the
    /// failure (or its runner died, or the operator retries it).
    fn resumable(
        &self,
        revert: &Revert,
        row: &AppliedMigration,
        dialect: Dialect,
    ) -> Result<usize, Error> {
        let done = row.statements_applied;
        let refuse = |message: String| Error::RevertUnfinished {
            version: row.version,
            file: revert.file.clone(),
            statements_applied: done,
            message,
        };
        if revert.code.is_some() {
            return Err(refuse(
                "it was recorded as unfinished while its down script was SQL, and is now written in Rust; \
                 finish the revert by hand, then run `repair`"
                    .to_owned(),
            ));
        }
        let unchanged =
            row.revert_checksum.as_deref() == Some(&checksum(revert.sql.as_bytes())[..]);
        if row.error.is_some() && unchanged && self.policy.retry != Some(row.version) {
            return Err(unfinished_revert(row, &revert.file));
        }
        let prefix_unchanged = PrefixChecksum::still_applied(
            &revert.sql,
            dialect,
            done,
            row.progress_checksum.as_deref(),
        );
        if !prefix_unchanged {
            return Err(refuse(format!(
                "{done} statement(s) of it were applied, but its first {done} statement(s) are no longer those; \
                 restore them as they were (change only the failing statement and what follows), \
                 or finish the revert by hand and run `repair`"
            )));
        }
        Ok(done)
    }

    /// The file of an applied migration, or its recorded name when the binary lacks it.
    pub(super) fn file_of(&self, row: &AppliedMigration) -> String {
        self.migrations
            .get(row.version)
            .map_or_else(|| row.name.clone(), |m| m.up().file().to_owned())
    }

    pub(super) async fn revert_locked(
        &self,
        driver: &mut dyn Driver,
        guard: &Guard,
        history: &[AppliedMigration],
        down: Down,
    ) -> Result<Report, Error> {
        let reverts = self.reverts(driver, history, down).await?;
        self.run_reverts(driver, guard, reverts).await
    }

    /// Runs `reverts` in order, each written to the audit trail.
    pub(super) async fn run_reverts(
        &self,
        driver: &mut dyn Driver,
        guard: &Guard,
        reverts: Vec<Revert>,
    ) -> Result<Report, Error> {
        let mut report = Report::default();
        for revert in reverts {
            guard.check(&self.table)?;
            self.notify(Progress::Reverting {
                version: revert.version,
                name: revert.name.clone(),
            });
            tracing::info!(version = revert.version, file = %revert.file, "reverting migration");
            let started = Instant::now();
            if let Err(error) = self.revert_one(driver, guard, &revert).await {
                return Err(guard.confirm(driver, &self.table, error).await);
            }
            let duration = started.elapsed();
            self.audit(driver, "revert", Some(revert.version), &revert.file)
                .await?;
            self.notify(Progress::Reverted {
                version: revert.version,
                name: revert.name.clone(),
                duration,
            });
            report.reverted.push(Applied {
                version: revert.version,
                name: revert.name,
                duration,
            });
        }
        Ok(report)
    }

    /// Runs one down script (or `down` function) and deletes the migration's row: in one
    /// transaction where the database allows, else statement by statement with its progress
    /// recorded (and always so to resume an unfinished revert).
    async fn revert_one(
        &self,
        driver: &mut dyn Driver,
        guard: &Guard,
        revert: &Revert,
    ) -> Result<(), Error> {
        let sql = driver.sql();
        let delete = guard.fenced(sql.delete(&self.table, revert.version));
        if let Some((script, code)) = revert.code {
            return driver
                .run_code(code, None, delete)
                .await
                .map(drop)
                .map_err(|error| code_error(revert.version, script, code, error));
        }
        let transactional =
            revert.resume.is_none() && driver.whole_scripts().is_some() && !revert.no_transaction;
        if !transactional {
            return self.revert_stepwise(driver, guard, revert).await;
        }
        let Err(error) = run_in_transaction(driver, &revert.sql, &delete).await else {
            return Ok(());
        };
        // A position inside the down script locates it; otherwise (none, or one in the
        // bookkeeping after it) replay the script to find the statement.
        let located = (sql.error_position)(&error)
            .and_then(|position| position.checked_sub(BEGIN.chars().count()))
            .and_then(|position| char_to_byte(&revert.sql, position))
            .filter(|byte| *byte < revert.sql.len())
            .map(|byte| locate(&revert.sql, sql.dialect, byte));
        let location = match located {
            Some(location) => Some(location),
            None => locate_by_replay(driver, &revert.sql, &error).await,
        };
        Err(Error::Migration {
            version: revert.version,
            file: revert.file.clone(),
            message: db_message(&error),
            location: location.map(Box::new),
            rolled_back: true,
            error,
        })
    }
}

/// What opens the transaction of a down script run whole.
const BEGIN: &str = "BEGIN;\n";

/// Runs a down script and `delete` (fenced) in one transaction, sent as one message so that
/// a runner that stalls holds no lock; the newline before `;` ends a trailing `--` comment.
async fn run_in_transaction(
    driver: &mut dyn Driver,
    down: &str,
    delete: &str,
) -> Result<(), sqlx::Error> {
    let message = format!("{BEGIN}{down}\n;\n{delete};\nCOMMIT;");
    let Err(error) = driver.execute(message).await else {
        return Ok(());
    };
    if let Err(rollback) = driver.execute("ROLLBACK".to_owned()).await {
        tracing::warn!(error = %rollback, "rollback after a failed revert failed");
    }
    Err(error)
}
