//! Running a down script statement by statement (on MySQL, where DDL commits on its own,
//! and for a `-- migrate:no-transaction` down file), the way `apply` runs an up file: the
//! migration's history row is marked as an unfinished revert first, records after each
//! statement how many are done and their checksum, and is deleted with the last one. A
//! failure leaves a row that says which statement of which down file failed; `down` resumes
//! there once the statement is fixed, and `retry` resumes there as it is.

use super::revert::Revert;
use super::steps::{self, Stopped};
use super::Migrator;
use crate::driver::{Driver, Step};
use crate::location::db_message;
use crate::lock::Guard;
use crate::migration::checksum;
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
            .map_err(|e| e.during("recording the start of a revert"))?;
        let run = steps::run(
            driver,
            guard,
            table,
            steps::Script {
                version,
                sql: &revert.sql,
                skip: revert.resume.map_or(0, |r| r.after),
                finish: sql.delete(table, version),
                context: "recording a revert's progress in the history table",
            },
        )
        .await;
        let failure = match run {
            Ok(()) => return Ok(()),
            Err(Stopped::Error(error)) => return Err(error),
            Err(Stopped::Statement(failure)) => failure,
        };
        let mut message = db_message(&failure.error);
        if revert.resume.is_some_and(|r| r.interrupted) && failure.first {
            message.push_str(
                " (the previous runner died right after this statement, which may have \
                 completed before its progress was recorded: make it idempotent, e.g. \
                 IF EXISTS, and run `down` again to resume at it)",
            );
        }
        Err(Error::Migration {
            version,
            file: revert.file.clone(),
            message,
            location: Some(Box::new(failure.location)),
            rolled_back: false,
            error: failure.error,
        })
    }
}
