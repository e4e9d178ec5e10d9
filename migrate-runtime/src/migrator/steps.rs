//! Running a script statement by statement under the lock, for an up file (`apply`) and a
//! down file (`revert_steps`) alike: statements in groups where they may share a
//! transaction, each group with the update of its progress, the last with the update that
//! finishes the row, every write fenced under a lease.

use std::task::Poll;
use std::time::Instant;

use super::batch::{shape, Batches};
use super::prefix::PrefixChecksum;
use crate::driver::{Complete, Driver, Run, Step, StepError, Steps};
use crate::history::HistoryTable;
use crate::location::{db_message, locate_in_statement};
use crate::lock::Guard;
use crate::statements::{self, Statement};
use crate::{Error, Location};

/// A script to run from statement `skip` on (the statements before it were applied).
pub(super) struct Script<'a> {
    /// The history row's version.
    pub version: i64,
    /// The script's SQL.
    pub sql: &'a str,
    /// How many statements were applied before (their checksum was checked).
    pub skip: usize,
    /// The UPDATE (or DELETE) that finishes the row, with the time since the start.
    pub finish: String,
    /// What a failed bookkeeping statement was doing, for its error.
    pub context: &'static str,
}

/// A statement of the script that failed: its error and where it is. Its error is already
/// recorded in the history row (as far as the database let).
pub(super) struct Failure {
    /// The database's error.
    pub error: sqlx::Error,
    /// The statement, located in the script.
    pub location: Location,
    /// Whether it was the first statement run (right after a runner that died).
    pub first: bool,
}

/// A group of statements planned to run together: statements `from..end`, the checksum of
/// the prefix through them, and the UPDATE that records them.
struct Group {
    from: usize,
    end: usize,
    after: PrefixChecksum,
    progress: String,
}

/// Why running a script stopped.
pub(super) enum Stopped {
    /// A statement failed.
    Statement(Box<Failure>),
    /// Anything else: the lease, the bookkeeping.
    Error(Error),
}

impl From<Error> for Stopped {
    fn from(error: Error) -> Stopped {
        Stopped::Error(error)
    }
}

/// Runs `script` from its statement `skip` on, then finishes its row.
pub(super) async fn run(
    driver: &mut dyn Driver,
    guard: &Guard,
    table: &HistoryTable,
    script: Script<'_>,
) -> Result<(), Stopped> {
    let sql = driver.sql();
    let version = script.version;
    let statements = statements::split(script.sql, sql.dialect);
    let skip = script.skip.min(statements.len());
    let shape = shape(&statements, sql);
    let started = Instant::now();
    let finish = || Complete {
        sql: guard.fenced(script.finish.clone()),
        started,
    };
    let mut batches = Batches::new();
    // The next group and its bookkeeping, from statement `from` on, after `prefix`.
    let plan = |from: usize, prefix: &PrefixChecksum, batches: &Batches| {
        let end = match shape {
            Steps::Together => batches.end(&statements, from),
            Steps::Alone => from + 1,
        };
        let mut after = prefix.clone();
        for statement in statements.get(from..end).unwrap_or_default() {
            after.push(statement.sql);
        }
        let progress = sql.progress(table, version, end, &after.value());
        Group {
            from,
            end,
            after,
            progress,
        }
    };
    let mut completed = false;
    // The checksum of the statements applied so far.
    let mut done = PrefixChecksum::of(&statements[..skip]);
    let mut upcoming = (skip < statements.len()).then(|| plan(skip, &done, &batches));
    while let Some(group) = upcoming.take() {
        guard.check(table)?;
        let Group {
            from: index,
            end,
            after,
            progress,
        } = group;
        let group = &statements[index..end];
        let last = end == statements.len();
        tracing::debug!(
            version,
            statement = index + 1,
            through = end,
            of = statements.len(),
            "running statements"
        );
        let run = Run {
            statements: group.iter().map(|s| s.sql).collect(),
            shape,
            fence: guard.fence(),
            progress,
            complete: last.then(|| Complete {
                sql: script.finish.clone(),
                started,
            }),
        };
        let began = Instant::now();
        // The next group is planned (its statements hashed) while the server runs this one:
        // the step is polled once, which sends its message, before the planning.
        let (outcome, next) = {
            let mut step = driver.step(Step::Run(run));
            let first = std::future::poll_fn(|cx| Poll::Ready(step.as_mut().poll(cx))).await;
            let next = (!last).then(|| plan(end, &after, &batches));
            let outcome = match first {
                Poll::Ready(outcome) => outcome,
                Poll::Pending => step.await,
            };
            (outcome, next)
        };
        let (error, position) = match outcome {
            Ok(()) => {
                batches.took(group.len(), began.elapsed());
                done = after;
                upcoming = next;
                completed = last;
                continue;
            }
            Err(StepError::Statement { error, position }) => (error, position),
            Err(StepError::Record(error)) => {
                return Err(Error::db(script.context)(error).into());
            }
        };
        if let Some(lost) = guard.lost(driver, table).await {
            return Err(lost.into());
        }
        if group.len() > 1 {
            // The group was rolled back as a whole: run its statements again one at a time,
            // to apply those that succeed and name the one that fails.
            tracing::debug!(
                version,
                from = index + 1,
                through = end,
                "a group of statements failed; running them one at a time"
            );
            batches.failed(end);
            upcoming = Some(plan(index, &done, &batches));
            continue;
        }
        return Err(failed(
            driver,
            guard,
            table,
            &script,
            &group[0],
            error,
            position,
            index == skip,
        )
        .await);
    }
    if !completed {
        driver
            .step(Step::Complete(finish()))
            .await
            .map_err(|error| error.during(script.context))?;
    }
    Ok(())
}

/// Records the error of `statement` in the history row and locates it.
#[allow(clippy::too_many_arguments)]
async fn failed(
    driver: &mut dyn Driver,
    guard: &Guard,
    table: &HistoryTable,
    script: &Script<'_>,
    statement: &Statement<'_>,
    error: sqlx::Error,
    position: Option<usize>,
    first: bool,
) -> Stopped {
    let sql = driver.sql();
    let message = db_message(&error);
    let record = guard.fenced(sql.record_error(table, script.version, Some(&message)));
    if let Err(record) = driver.execute(record).await {
        tracing::error!(version = script.version, error = %record, "could not record the failed statement");
    }
    let location = locate_in_statement(
        script.sql,
        sql.dialect,
        statement.sql,
        statement.offset,
        position,
    );
    Stopped::Statement(Box::new(Failure {
        error,
        location,
        first,
    }))
}
