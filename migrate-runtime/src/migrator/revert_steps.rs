//! Running a down script statement by statement (on MySQL, where DDL commits on its own,
//! and for a `-- migrate:no-transaction` down file), the way `apply` runs an up file: the
//! migration's history row is marked as an unfinished revert first, records after each
//! statement how many are done and their checksum, and is deleted with the last one. A
//! failure leaves a row that says which statement of which down file failed; `down` resumes
//! there once the statement is fixed, and `retry` resumes there as it is.

use std::time::Instant;

use super::batch::shape;
use super::prefix::PrefixChecksum;
use super::revert::Revert;
use super::Migrator;
use crate::driver::{Complete, Driver, Run, Step, StepError};
use crate::location::{db_message, locate_in_statement};
use crate::lock::Guard;
use crate::migration::checksum;
use crate::statements;
use crate::Error;

impl Migrator {
    /// Runs `revert` one statement at a time with its progress recorded, from the start or
    /// after the statements an unfinished revert applied, and deletes the row at the end.
    pub(super) async fn revert_stepwise(
        &self,
        driver: &mut dyn Driver,
        guard: &Guard,
        revert: &Revert,
    ) -> Result<(), Error> {
        let table = &self.table;
        let sql = driver.sql();
        let version = revert.version;
        let statements = statements::split(&revert.sql, sql.dialect);
        let down = checksum(revert.sql.as_bytes());
        // The row exists: its UPDATE takes the place of an up's INSERT.
        let start = match revert.resume {
            None => sql.start_revert(table, version, &down),
            Some(_) => sql.resume_revert(table, version, &down),
        };
        driver
            .step(Step::Start {
                insert: guard.fenced(start),
            })
            .await
            .map_err(|e| bookkeeping("recording the start of a revert", e))?;
        let skip = revert.resume.map_or(0, |r| r.after).min(statements.len());
        let started = Instant::now();
        let delete = || Complete {
            sql: sql.delete(table, version),
            started,
        };
        let shape = shape(&statements, sql);
        let mut prefix = PrefixChecksum::of(&statements[..skip]);
        let mut completed = false;
        for (index, statement) in statements.iter().enumerate().skip(skip) {
            guard.check(table)?;
            let applied = index + 1;
            prefix.push(statement.sql);
            let last = applied == statements.len();
            tracing::debug!(
                version,
                statement = applied,
                of = statements.len(),
                "running a statement of a down script"
            );
            let step = Step::Run(Run {
                statements: vec![statement.sql],
                shape,
                fence: guard.fence(),
                progress: sql.progress(table, version, applied, &prefix.value()),
                complete: last.then(delete),
            });
            let (failure, position) = match driver.step(step).await {
                Ok(()) => {
                    completed = last;
                    continue;
                }
                Err(StepError::Statement { error, position }) => (error, position),
                Err(StepError::Record(error)) => {
                    return Err(Error::db(
                        "recording a revert's progress in the history table",
                    )(error))
                }
            };
            let mut message = db_message(&failure);
            if let Err(record) = driver
                .execute(guard.fenced(sql.record_error(table, version, Some(&message))))
                .await
            {
                tracing::error!(version, error = %record, "could not record the failed statement of a revert");
            }
            if revert.resume.is_some_and(|r| r.interrupted) && index == skip {
                message.push_str(
                    " (the previous runner died right after this statement, which may have \
                     completed before its progress was recorded: make it idempotent, e.g. \
                     IF EXISTS, and run `down` again to resume at it)",
                );
            }
            let location = locate_in_statement(
                &revert.sql,
                sql.dialect,
                statement.sql,
                statement.offset,
                position,
            );
            return Err(Error::Migration {
                version,
                file: revert.file.clone(),
                message,
                location: Some(Box::new(location)),
                rolled_back: false,
                error: failure,
            });
        }
        if !completed {
            let mut complete = delete();
            complete.sql = guard.fenced(complete.sql);
            driver
                .step(Step::Complete(complete))
                .await
                .map_err(|e| bookkeeping("deleting the row of a reverted migration", e))?;
        }
        Ok(())
    }
}

/// A bookkeeping step that failed.
fn bookkeeping(context: &'static str, error: StepError) -> Error {
    match error {
        StepError::Statement { error, .. } | StepError::Record(error) => Error::db(context)(error),
    }
}
