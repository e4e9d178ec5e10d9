//! Reverting applied migrations, newest first: with the down file of this binary, the
//! `down` function of a Rust migration, or the down script recorded in the history.

use std::time::Instant;

use super::{code_error, function_for, status::shown, Migrator, Op, Progress};
use crate::code::Code;
use crate::driver::{first_text, locate_by_replay, Driver};
use crate::history::AppliedMigration;
use crate::location::{char_to_byte, db_message, locate, locate_in_statement};
use crate::lock::Guard;
use crate::migration::{Migration, Script};
use crate::report::{Applied, Report};
use crate::statements;
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
}

/// Why running a down script failed: where, and the error.
struct RevertFailure {
    at: FailedAt,
    error: sqlx::Error,
}

/// The part of a revert that failed.
enum FailedAt {
    /// The down script, sent whole in a transaction.
    Script,
    /// The statement of the down script with this 0-based index, run on its own.
    Statement(usize),
    /// The bookkeeping around the script: `BEGIN`, the deletion of its row, `COMMIT`.
    Bookkeeping,
}

impl Migrator {
    /// Reverts every migration applied after `target`, newest first; `target` stays applied.
    ///
    /// Each down script runs with the deletion of its history row in one transaction (where
    /// DDL is transactional). A migration this binary does not contain is reverted with the
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
        if let Some(row) = history.iter().find(|row| !row.success) {
            return Err(Error::Dirty {
                version: row.version,
                file: self.file_of(row),
                statements_applied: row.statements_applied,
                message: "it is unfinished; finish or repair it before reverting anything"
                    .to_owned(),
            });
        }
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
        let database = driver.sql().backend;
        let mut reverts = Vec::with_capacity(chosen.len());
        for row in chosen {
            let own = self
                .migrations
                .get(row.version)
                .and_then(|m| m.down().map(|d| (m, d)));
            let revert = match own {
                Some((migration, down)) => {
                    let code = function_for(migration, down, database)?;
                    Revert {
                        version: row.version,
                        name: migration.name().to_owned(),
                        file: down.file().to_owned(),
                        sql: shown(down, database),
                        no_transaction: down.no_transaction(),
                        code: code.map(|code| (down, code)),
                    }
                }
                None => {
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
                    Revert {
                        version: row.version,
                        name: row.name.clone(),
                        file: "(down script recorded in the history)".to_owned(),
                        no_transaction: crate::source::directive::read(&sql).no_transaction,
                        sql,
                        code: None,
                    }
                }
            };
            reverts.push(revert);
        }
        Ok(reverts)
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
        let mut report = Report::default();
        for revert in reverts {
            guard.check(&self.table)?;
            self.notify(Progress::Reverting {
                version: revert.version,
                name: revert.name.clone(),
            });
            tracing::info!(version = revert.version, file = %revert.file, "reverting migration");
            let started = Instant::now();
            self.revert_one(driver, &revert).await?;
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

    /// Runs one down script (or `down` function) and deletes the migration's row.
    async fn revert_one(&self, driver: &mut dyn Driver, revert: &Revert) -> Result<(), Error> {
        let sql = driver.sql();
        let delete = sql.delete(&self.table, revert.version);
        if let Some((script, code)) = revert.code {
            return driver
                .run_code(code, None, delete)
                .await
                .map(drop)
                .map_err(|error| code_error(revert.version, script, code, error));
        }
        let transactional = driver.whole_scripts().is_some() && !revert.no_transaction;
        let result = if transactional {
            run_in_transaction(driver, &revert.sql, delete).await
        } else {
            run_stepwise(driver, &revert.sql, delete).await
        };
        let Err(failure) = result else {
            return Ok(());
        };
        let location = revert_location(driver, &revert.sql, &failure).await;
        if !transactional {
            let statement = match failure.at {
                FailedAt::Statement(index) => index + 1,
                FailedAt::Script | FailedAt::Bookkeeping => 0,
            };
            let message = format!(
                "reverting: statement {statement} of `{}` failed: {}",
                revert.file,
                db_message(&failure.error)
            );
            let mark = sql.mark_failed(&self.table, revert.version, &message);
            if let Err(mark) = driver.execute(mark).await {
                tracing::error!(error = %mark, "could not mark the failed revert");
            }
        }
        Err(Error::Migration {
            version: revert.version,
            file: revert.file.clone(),
            message: db_message(&failure.error),
            location: location.map(Box::new),
            rolled_back: transactional,
            error: failure.error,
        })
    }
}

/// Runs a down script and `delete` in one transaction.
async fn run_in_transaction(
    driver: &mut dyn Driver,
    down: &str,
    delete: String,
) -> Result<(), RevertFailure> {
    let bookkeeping = |error| RevertFailure {
        at: FailedAt::Bookkeeping,
        error,
    };
    driver
        .execute("BEGIN".to_owned())
        .await
        .map_err(bookkeeping)?;
    let result = match driver.execute(down.to_owned()).await {
        Ok(_) => driver.execute(delete).await.map_err(bookkeeping),
        Err(error) => Err(RevertFailure {
            at: FailedAt::Script,
            error,
        }),
    };
    if let Err(failure) = result {
        if let Err(rollback) = driver.execute("ROLLBACK".to_owned()).await {
            tracing::warn!(error = %rollback, "rollback after a failed revert failed");
        }
        return Err(failure);
    }
    driver
        .execute("COMMIT".to_owned())
        .await
        .map_err(bookkeeping)?;
    Ok(())
}

/// Runs a down script one statement at a time, then `delete`.
async fn run_stepwise(
    driver: &mut dyn Driver,
    down: &str,
    delete: String,
) -> Result<(), RevertFailure> {
    for (index, statement) in statements::split(down, driver.sql().dialect)
        .iter()
        .enumerate()
    {
        driver
            .execute(statement.sql.to_owned())
            .await
            .map_err(|error| RevertFailure {
                at: FailedAt::Statement(index),
                error,
            })?;
    }
    driver
        .execute(delete)
        .await
        .map_err(|error| RevertFailure {
            at: FailedAt::Bookkeeping,
            error,
        })?;
    Ok(())
}

/// Where a down script failed: the statement that failed when run one by one; in a script
/// run whole, the position the database reports, else the statement found by replaying it
/// (its transaction was rolled back).
async fn revert_location(
    driver: &mut dyn Driver,
    sql: &str,
    failure: &RevertFailure,
) -> Option<crate::Location> {
    let facts = driver.sql();
    let position = (facts.error_position)(&failure.error);
    match failure.at {
        FailedAt::Statement(index) => {
            let statement = statements::split(sql, facts.dialect)
                .into_iter()
                .nth(index)?;
            Some(locate_in_statement(
                sql,
                facts.dialect,
                statement.sql,
                statement.offset,
                position,
            ))
        }
        FailedAt::Script => match position.and_then(|p| char_to_byte(sql, p)) {
            Some(byte) => Some(locate(sql, facts.dialect, byte)),
            None => locate_by_replay(driver, sql, &failure.error).await,
        },
        FailedAt::Bookkeeping => None,
    }
}
