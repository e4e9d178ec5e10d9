//! Operating a database: apply up to a target, revert, mark without running, repair, and
//! the read-only status and plan. Every operation that writes runs under the migration lock
//! (see [`Migrator::execute`]); manual ones (mark, repair, revert) are also written to the
//! audit trail, `<history table>_audit`.

use std::time::{Duration, Instant};

use crate::backend::{self, Pool, Session};
use crate::code::{Backend, Code};
use crate::history::AppliedMigration;
use crate::migration::{Migration, Script};
use crate::migrator::{code_error, function_for, Down, Held, Migrator, Op, Progress};
use crate::plan::{self, Policy};
use crate::report::{Applied, Repair, Report};
use crate::statements::{self, Dialect};
use crate::Error;

/// The state of one migration, known to the binary, the database, or both.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum State {
    /// Applied, and the file is as it was.
    Applied,
    /// In the binary, not applied.
    Pending,
    /// Applied, but the file changed since.
    Edited,
    /// Applied, but this binary does not contain it.
    MissingFromBinary,
    /// Started and not finished: its runner died, or a statement failed (`error`).
    Unfinished {
        /// Statements applied so far.
        statements_applied: usize,
        /// The failing statement's error, if one was recorded.
        error: Option<String>,
    },
}

/// One line of [`Migrator::status`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationStatus {
    /// The version.
    pub version: i64,
    /// The description (from the binary, else from the history).
    pub name: String,
    /// Where it stands.
    pub state: State,
    /// When it was applied (as the database prints it), if it was.
    pub applied_at: Option<String>,
    /// How long it took, if it was applied.
    pub duration: Option<Duration>,
    /// Whether it can be reverted: a down file in the binary, or a down script recorded
    /// when it was applied.
    pub reversible: bool,
}

/// What an operation would do, from [`Migrator::plan`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// Apply pending migrations, up to and including `to` (all when `None`).
    Up {
        /// The last version to apply.
        to: Option<i64>,
    },
    /// Revert applied migrations, newest first.
    Down(Down),
}

/// One step of a [`Migrator::plan`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedStep {
    /// Apply (`true`) or revert (`false`).
    pub up: bool,
    /// The version.
    pub version: i64,
    /// The description.
    pub name: String,
    /// The file the SQL comes from, or `(recorded in the history)` for a down script this
    /// binary does not have.
    pub file: String,
    /// The SQL that would run.
    pub sql: String,
    /// Whether it would resume an unfinished migration after its applied statements.
    pub resumes_after: Option<usize>,
}

/// A migration to revert and the down script that reverts it.
struct Revert {
    version: i64,
    name: String,
    file: String,
    sql: String,
    no_transaction: bool,
    /// The `down` function of a Rust migration, which runs instead of `sql`.
    code: Option<(&'static Script, &'static Code)>,
}

impl Migrator {
    /// The version of `target`, which must be one of this migrator's own items (a
    /// `migrations::V…` of the same `embed_migrations!`).
    fn version_of(&self, target: &'static Migration) -> Result<i64, Error> {
        match self.migrations.get(target.version()) {
            Some(own) if std::ptr::eq(own, target) => Ok(target.version()),
            _ => Err(Error::UnknownTarget {
                version: target.version(),
                file: target.up().file().to_owned(),
            }),
        }
    }

    /// Applies pending migrations up to and including `target`, like [`Migrator::run`]
    /// otherwise.
    ///
    /// # Errors
    /// As [`Migrator::run`]; [`Error::UnknownTarget`] for a migration of another set.
    pub async fn run_to<P: Pool>(
        &self,
        pool: &P,
        target: &'static Migration,
    ) -> Result<Report, Error> {
        let to = self.version_of(target)?;
        self.execute(pool, Op::Up { to: Some(to) }).await
    }

    /// Reverts every migration applied after `target`, newest first; `target` stays applied.
    ///
    /// Each down script runs with the deletion of its history row in one transaction (where
    /// DDL is transactional). A migration this binary does not contain is reverted with the
    /// down script recorded when it was applied. Nothing is reverted unless every migration
    /// in the way can be: otherwise [`Error::Irreversible`].
    pub async fn revert_to<P: Pool>(
        &self,
        pool: &P,
        target: &'static Migration,
    ) -> Result<Report, Error> {
        let to = self.version_of(target)?;
        self.execute(pool, Op::Down(Down::To(to))).await
    }

    /// Reverts the newest `steps` applied migrations (see [`Migrator::revert_to`]).
    pub async fn revert_steps<P: Pool>(&self, pool: &P, steps: usize) -> Result<Report, Error> {
        self.execute(pool, Op::Down(Down::Steps(steps))).await
    }

    /// Reverts every applied migration (see [`Migrator::revert_to`]).
    pub async fn revert_all<P: Pool>(&self, pool: &P) -> Result<Report, Error> {
        self.execute(pool, Op::Down(Down::All)).await
    }

    /// Records every pending migration up to and including `target` as applied, without
    /// running it: to adopt a database whose schema is already there (a baseline), or after
    /// applying a migration by hand.
    pub async fn mark_applied<P: Pool>(
        &self,
        pool: &P,
        target: &'static Migration,
    ) -> Result<Report, Error> {
        let to = self.version_of(target)?;
        self.execute(pool, Op::MarkApplied(to)).await
    }

    /// Deletes the records of `target` and of every migration applied after it, without
    /// running any down script: after reverting by hand.
    pub async fn mark_reverted<P: Pool>(
        &self,
        pool: &P,
        target: &'static Migration,
    ) -> Result<Report, Error> {
        let to = self.version_of(target)?;
        self.execute(pool, Op::MarkReverted(to)).await
    }

    /// Accepts the current checksums of applied migrations whose files were deliberately
    /// edited, and deletes the rows of unfinished migrations after they were repaired by
    /// hand (apply the rest with [`Migrator::run`], or record it with
    /// [`Migrator::mark_applied`]). Each change is written to the audit trail.
    pub async fn repair<P: Pool>(&self, pool: &P) -> Result<Report, Error> {
        self.execute(pool, Op::Repair).await
    }

    /// Every migration known to the binary or the database, in version order, with its
    /// state. Reads only; takes no lock.
    pub async fn status<P: Pool>(&self, pool: &P) -> Result<Vec<MigrationStatus>, Error> {
        pool.status(self).await
    }

    /// [`Migrator::status`], called through the pool's entry point in this crate.
    pub(crate) async fn status_on<P: Pool>(&self, pool: &P) -> Result<Vec<MigrationStatus>, Error> {
        let mut session = pool.open_session().await?;
        let result = self.status_with(&mut session).await;
        session.finish(false).await;
        result
    }

    async fn status_with<S: Session>(
        &self,
        session: &mut S,
    ) -> Result<Vec<MigrationStatus>, Error> {
        let Some(history) = session.read_history(&self.table).await? else {
            return Ok(self.migrations.iter().map(pending_status).collect());
        };
        let details = session.applied_details(&self.table).await?;
        let mut lines: Vec<MigrationStatus> = Vec::new();
        for row in &history {
            let migration = self.migrations.get(row.version);
            let state = match migration {
                _ if !row.success => State::Unfinished {
                    statements_applied: row.statements_applied,
                    error: row.error.clone(),
                },
                None => State::MissingFromBinary,
                Some(m) if m.checksum()[..] != row.checksum[..] => State::Edited,
                Some(_) => State::Applied,
            };
            let (applied_at, micros, recorded_down) = details
                .iter()
                .find(|(v, ..)| *v == row.version)
                .map(|(_, at, micros, down)| (Some(at.clone()), Some(*micros), *down))
                .unwrap_or((None, None, false));
            lines.push(MigrationStatus {
                version: row.version,
                name: migration.map_or_else(|| row.name.clone(), |m| m.name().to_owned()),
                state,
                applied_at: applied_at.filter(|_| row.success),
                duration: micros
                    .filter(|_| row.success)
                    .map(|m| Duration::from_micros(u64::try_from(m).unwrap_or(0))),
                reversible: migration.is_some_and(|m| m.is_reversible()) || recorded_down,
            });
        }
        for migration in self.migrations.iter() {
            if !history.iter().any(|row| row.version == migration.version()) {
                lines.push(pending_status(migration));
            }
        }
        lines.sort_by_key(|line| line.version);
        Ok(lines)
    }

    /// What `operation` would do, in order, with the SQL, without changing anything. Reads
    /// only; takes no lock, so another runner may act before the operation runs.
    ///
    /// # Errors
    /// The errors the operation itself would stop with before doing anything: drift,
    /// [`Error::Irreversible`], [`Error::Dirty`].
    pub async fn plan<P: Pool>(
        &self,
        pool: &P,
        operation: Operation,
    ) -> Result<Vec<PlannedStep>, Error> {
        pool.plan(self, operation).await
    }

    /// [`Migrator::plan`], called through the pool's entry point in this crate.
    pub(crate) async fn plan_on<P: Pool>(
        &self,
        pool: &P,
        operation: Operation,
    ) -> Result<Vec<PlannedStep>, Error> {
        let mut session = pool.open_session().await?;
        let result = self.plan_with(&mut session, operation).await;
        session.finish(false).await;
        result
    }

    async fn plan_with<S: Session>(
        &self,
        session: &mut S,
        operation: Operation,
    ) -> Result<Vec<PlannedStep>, Error> {
        let history = session.read_history(&self.table).await?.unwrap_or_default();
        match operation {
            Operation::Up { to } => {
                let plan = plan::plan(self.migrations, &history, self.policy)?.up_to(to);
                let resume = plan.resume.map(|r| {
                    let skip = r.row.statements_applied;
                    let rest: Vec<&str> =
                        statements::split(r.migration.up().sql(), session.dialect())
                            .into_iter()
                            .skip(skip)
                            .map(|s| s.sql)
                            .collect();
                    PlannedStep {
                        up: true,
                        version: r.migration.version(),
                        name: r.migration.name().to_owned(),
                        file: r.migration.up().file().to_owned(),
                        sql: rest.join(";\n") + ";",
                        resumes_after: Some(skip),
                    }
                });
                let database = backend::backend_of(session.dialect());
                let pending = plan.pending.into_iter().map(|m| PlannedStep {
                    up: true,
                    version: m.version(),
                    name: m.name().to_owned(),
                    file: m.up().file().to_owned(),
                    sql: shown(m.up(), database),
                    resumes_after: None,
                });
                Ok(resume.into_iter().chain(pending).collect())
            }
            Operation::Down(down) => Ok(self
                .reverts(session, &history, down)
                .await?
                .into_iter()
                .map(|r| PlannedStep {
                    up: false,
                    version: r.version,
                    name: r.name,
                    file: r.file,
                    sql: r.sql,
                    resumes_after: None,
                })
                .collect()),
        }
    }

    /// Runs `op` under the lock (see [`Migrator::execute`]).
    pub(crate) async fn execute_locked<S: Session>(
        &self,
        session: &mut S,
        held: &Held,
        op: Op,
    ) -> Result<Report, Error> {
        session.create_history(&self.table).await?;
        session.drop_legacy_seal(&self.table).await;
        let history = session.read_history(&self.table).await?.unwrap_or_default();
        match op {
            Op::Up { to } => self.apply_up(session, held, &history, to).await,
            Op::Down(down) => self.revert_locked(session, held, &history, down).await,
            Op::MarkApplied(to) => self.mark_applied_locked(session, &history, to).await,
            Op::MarkReverted(from) => self.mark_reverted_locked(session, &history, from).await,
            Op::Repair => self.repair_locked(session, &history).await,
        }
    }

    /// The migrations `down` reverts, newest first, each with its down script; fails before
    /// anything runs if one has none, or if a migration is unfinished.
    async fn reverts<S: Session>(
        &self,
        session: &mut S,
        history: &[AppliedMigration],
        down: Down,
    ) -> Result<Vec<Revert>, Error> {
        if let Some(row) = history.iter().find(|row| !row.success) {
            return Err(Error::Dirty {
                version: row.version,
                file: self
                    .migrations
                    .get(row.version)
                    .map_or_else(|| row.name.clone(), |m| m.up().file().to_owned()),
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
        let mut reverts = Vec::with_capacity(chosen.len());
        for row in chosen {
            let own = self
                .migrations
                .get(row.version)
                .and_then(|m| m.down().map(|d| (m, d)));
            let revert = match own {
                Some((migration, down)) => {
                    let database = backend::backend_of(session.dialect());
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
                None => match session
                    .recorded_down_script(&self.table, row.version)
                    .await?
                {
                    Some(sql) => Revert {
                        version: row.version,
                        name: row.name.clone(),
                        file: "(down script recorded in the history)".to_owned(),
                        no_transaction: crate::source::directive::read(&sql).no_transaction,
                        sql,
                        code: None,
                    },
                    None => {
                        return Err(Error::Irreversible {
                            version: row.version,
                            file: self
                                .migrations
                                .get(row.version)
                                .map_or_else(|| row.name.clone(), |m| m.up().file().to_owned()),
                        })
                    }
                },
            };
            reverts.push(revert);
        }
        Ok(reverts)
    }

    async fn revert_locked<S: Session>(
        &self,
        session: &mut S,
        held: &Held,
        history: &[AppliedMigration],
        down: Down,
    ) -> Result<Report, Error> {
        let reverts = self.reverts(session, history, down).await?;
        let mut report = Report::default();
        for revert in reverts {
            self.check(held)?;
            self.notify(Progress::Reverting {
                version: revert.version,
                name: revert.name.clone(),
            });
            tracing::info!(version = revert.version, file = %revert.file, "reverting migration");
            let started = Instant::now();
            if let Some((script, code)) = revert.code {
                let delete = session.delete_sql(&self.table, revert.version);
                session
                    .run_code(code, None, delete)
                    .await
                    .map_err(|error| code_error(revert.version, script, code, error))?;
            } else if let Err((statement, error)) = session
                .revert(
                    &self.table,
                    revert.version,
                    &revert.sql,
                    revert.no_transaction,
                )
                .await
            {
                let transactional = session.transactional_ddl() && !revert.no_transaction;
                let dialect = session.dialect();
                let location = revert_location(
                    &revert.sql,
                    dialect,
                    statement,
                    session.error_position(&error),
                );
                if !transactional {
                    let message = format!(
                        "reverting: statement {} of `{}` failed: {}",
                        statement.map_or(0, |s| s + 1),
                        revert.file,
                        backend::db_message(&error)
                    );
                    if let Err(mark) = session
                        .mark_failed(&self.table, revert.version, &message)
                        .await
                    {
                        tracing::error!(error = %mark, "could not mark the failed revert");
                    }
                }
                return Err(Error::Migration {
                    version: revert.version,
                    file: revert.file,
                    message: backend::db_message(&error),
                    location: location.map(Box::new),
                    rolled_back: transactional,
                    source: error,
                });
            }
            let duration = started.elapsed();
            session
                .audit(&self.table, "revert", Some(revert.version), &revert.file)
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

    async fn mark_applied_locked<S: Session>(
        &self,
        session: &mut S,
        history: &[AppliedMigration],
        to: i64,
    ) -> Result<Report, Error> {
        // Marking is deliberate: pending migrations below applied ones may be marked too.
        let policy = Policy {
            allow_out_of_order: true,
            ..self.policy
        };
        let plan = plan::plan(self.migrations, history, policy)?;
        let mut report = Report::default();
        for migration in plan.pending.into_iter().filter(|m| m.version() <= to) {
            session.insert_applied(&self.table, migration).await?;
            session
                .audit(
                    &self.table,
                    "mark-applied",
                    Some(migration.version()),
                    migration.up().file(),
                )
                .await?;
            report.marked_applied.push(migration.version());
        }
        Ok(report)
    }

    async fn mark_reverted_locked<S: Session>(
        &self,
        session: &mut S,
        history: &[AppliedMigration],
        from: i64,
    ) -> Result<Report, Error> {
        let mut report = Report::default();
        let mut rows: Vec<&AppliedMigration> =
            history.iter().filter(|row| row.version >= from).collect();
        rows.sort_by_key(|row| std::cmp::Reverse(row.version));
        for row in rows {
            session.delete_record(&self.table, row.version).await?;
            session
                .audit(&self.table, "mark-reverted", Some(row.version), &row.name)
                .await?;
            report.marked_reverted.push(row.version);
        }
        Ok(report)
    }

    async fn repair_locked<S: Session>(
        &self,
        session: &mut S,
        history: &[AppliedMigration],
    ) -> Result<Report, Error> {
        let mut report = Report::default();
        for row in history {
            if !row.success {
                let detail = format!(
                    "removed unfinished row: {} statement(s) applied{}",
                    row.statements_applied,
                    row.error
                        .as_deref()
                        .map(|e| format!(", error: {e}"))
                        .unwrap_or_default()
                );
                session.delete_record(&self.table, row.version).await?;
                session
                    .audit(&self.table, "repair", Some(row.version), &detail)
                    .await?;
                report.repaired.push(Repair::RemovedUnfinished {
                    version: row.version,
                });
                continue;
            }
            let Some(migration) = self.migrations.get(row.version) else {
                continue;
            };
            if migration.checksum()[..] != row.checksum[..] {
                let detail = format!(
                    "accepted the checksum of the edited `{}`: {} -> {}",
                    migration.up().file(),
                    crate::migration::hex(&row.checksum),
                    crate::migration::hex(migration.checksum())
                );
                session
                    .set_checksum(&self.table, row.version, migration.checksum())
                    .await?;
                session
                    .audit(&self.table, "repair", Some(row.version), &detail)
                    .await?;
                report.repaired.push(Repair::AcceptedChecksum {
                    version: row.version,
                });
            }
        }
        Ok(report)
    }
}

fn pending_status(migration: &Migration) -> MigrationStatus {
    MigrationStatus {
        version: migration.version(),
        name: migration.name().to_owned(),
        state: State::Pending,
        applied_at: None,
        duration: None,
        reversible: migration.is_reversible(),
    }
}

/// Where a down script failed: the statement (when run one by one) or PostgreSQL's position.
fn revert_location(
    sql: &str,
    dialect: Dialect,
    statement: Option<usize>,
    position: Option<usize>,
) -> Option<crate::Location> {
    if let Some(index) = statement {
        let statement = statements::split(sql, dialect).into_iter().nth(index)?;
        let at = position
            .and_then(|p| backend::char_to_byte(statement.sql, p))
            .unwrap_or(0);
        return Some(backend::locate(sql, dialect, statement.offset + at));
    }
    let byte = backend::char_to_byte(sql, position?)?;
    Some(backend::locate(sql, dialect, byte))
}

/// What `plan` shows of a script: its SQL, or which Rust function runs.
fn shown(script: &Script, database: Backend) -> String {
    if !script.is_rust() {
        return script.sql().to_owned();
    }
    match script.function_for(database) {
        Some(code) => format!(
            "-- the Rust function `{}` of `{}`, in one transaction",
            code.name(),
            script.file()
        ),
        None => format!(
            "-- `{}` has no Rust function for {database}: running it fails",
            script.file()
        ),
    }
}
