//! A small safe wrapper over SQLite's C API for [`super`]: an in-memory connection that is
//! closed when dropped, runs a script the way sqlx's `raw_sql` does (prepare the first
//! statement, run it to its end, continue at the tail SQLite returns), refuses the actions
//! that could reach outside the database or behave differently at run time, and interrupts
//! work past a budget.

use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::ptr::{self, NonNull};
use std::time::{Duration, Instant};

use libsqlite3_sys as ffi;

/// Virtual machine instructions between two calls of the progress handler.
const INSTRUCTIONS_PER_TICK: c_int = 1_000;
/// The most ticks all scripts of one connection may take together: 100 million
/// instructions, far more than real migrations of an empty database need (a recursive CTE
/// that never ends reaches it in about a second).
const MAX_TICKS: u64 = 100_000;
/// The most time all scripts of one connection may take together, for a slow machine (the
/// C code of a debug build is not optimized).
const MAX_TIME: Duration = Duration::from_secs(2);
/// The longest string or blob a statement may make, 64 MiB rather than SQLite's 1 GB, so
/// that `randomblob(1e9)` cannot take a gigabyte of the compiler's memory.
const MAX_LENGTH: c_int = 64 << 20;

/// Why a script did not run to its end.
#[derive(Debug)]
pub(super) enum Failure {
    /// SQLite refused a statement.
    Engine(EngineError),
    /// The run stopped without anything to report; see [`Stop`].
    Stopped(Stop),
}

/// Why a run stopped without an error of SQLite's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Stop {
    /// A statement asked for something the connection refuses (`ATTACH`, `load_extension`,
    /// a pragma that changes the process or the files): its effect at run time cannot be
    /// known here.
    Refused,
    /// The work budget ran out (a statement that runs for too long, or forever).
    Exhausted,
    /// A statement ended the transaction that its file runs in (`COMMIT`), or a file left
    /// one open: what the runtime then does is not SQLite's alone.
    Transaction,
    /// A statement of our own failed: `COMMIT` (deferred foreign key checks fail on the
    /// data), `BEGIN`.
    Control,
    /// A script SQLite cannot take (longer than 2 GB, or with a NUL byte), or a database it
    /// could not open.
    Unusable,
}

/// An error SQLite returned for a statement.
#[derive(Debug)]
pub(super) struct EngineError {
    /// The extended result code.
    pub code: c_int,
    /// SQLite's message.
    pub message: String,
    /// Whether preparing or running the statement failed.
    pub phase: Phase,
    /// Byte offset in the script where SQLite began to read the statement (whitespace and
    /// comments before it included).
    pub start: usize,
    /// Byte offset in the script of the token the error is about, when SQLite names one.
    pub token: Option<usize>,
}

/// Where a statement failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    /// Compiling it: only the schema is read.
    Prepare,
    /// Running it: rows may be read.
    Step,
}

/// What the callbacks share with the connection. They only read and set cells, so a shared
/// reference is all they need.
struct Guard {
    /// The authorizer refused an action.
    refused: Cell<bool>,
    /// The progress handler interrupted a statement.
    exhausted: Cell<bool>,
    /// Calls of the progress handler so far.
    ticks: Cell<u64>,
    /// When the connection was opened.
    started: Instant,
}

/// An in-memory SQLite database, closed on drop.
pub(super) struct Database {
    db: NonNull<ffi::sqlite3>,
    /// Boxed: the callbacks hold its address. Dropped after the connection is closed (fields
    /// drop after `Drop::drop`).
    guard: Box<Guard>,
}

/// A prepared statement, finalized on drop.
struct Prepared(*mut ffi::sqlite3_stmt);

impl Drop for Prepared {
    fn drop(&mut self) {
        // SAFETY: the statement came from `sqlite3_prepare_v2` and is finalized once;
        // finalizing a null pointer does nothing.
        unsafe {
            ffi::sqlite3_finalize(self.0);
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        // SAFETY: the handle came from `sqlite3_open_v2` and is closed once; every statement
        // was finalized by its `Prepared`.
        unsafe {
            ffi::sqlite3_close(self.db.as_ptr());
        }
    }
}

impl Database {
    /// Opens an empty in-memory database with the settings sqlx's `SqliteConnectOptions`
    /// applies by default, or `None` when SQLite cannot.
    pub(super) fn open() -> Option<Database> {
        let mut handle = ptr::null_mut();
        // No `SQLITE_OPEN_URI`: the name is only ever `:memory:`.
        let flags = ffi::SQLITE_OPEN_READWRITE
            | ffi::SQLITE_OPEN_CREATE
            | ffi::SQLITE_OPEN_MEMORY
            | ffi::SQLITE_OPEN_NOMUTEX
            | ffi::SQLITE_OPEN_PRIVATECACHE;
        // SAFETY: a NUL-terminated name, a place for the handle, the default VFS.
        let rc =
            unsafe { ffi::sqlite3_open_v2(c":memory:".as_ptr(), &mut handle, flags, ptr::null()) };
        // A handle, when there is one, must be closed even if opening failed.
        let database = Database {
            db: NonNull::new(handle)?,
            guard: Box::new(Guard {
                refused: Cell::new(false),
                exhausted: Cell::new(false),
                ticks: Cell::new(0),
                started: Instant::now(),
            }),
        };
        if rc != ffi::SQLITE_OK {
            return None;
        }
        let db = database.db.as_ptr();
        // SAFETY: an open handle.
        unsafe {
            // As sqlx does: extended codes tell constraint failures apart.
            ffi::sqlite3_extended_result_codes(db, 1);
            ffi::sqlite3_limit(db, ffi::SQLITE_LIMIT_LENGTH, MAX_LENGTH);
        }
        // The one pragma `SqliteConnectOptions::new()` sets.
        database.control(c"PRAGMA foreign_keys = ON").ok()?;
        // Temporary tables and indexes in memory as well (SQLite's default puts them in
        // files deleted on close): the macro writes no file.
        database.control(c"PRAGMA temp_store = MEMORY").ok()?;
        let guard = ptr::from_ref::<Guard>(&*database.guard)
            .cast_mut()
            .cast::<c_void>();
        // SAFETY: an open handle; `guard` outlives it (see `Database::guard`), and the
        // callbacks only take shared references to it.
        unsafe {
            ffi::sqlite3_set_authorizer(db, Some(authorize), guard);
            ffi::sqlite3_progress_handler(db, INSTRUCTIONS_PER_TICK, Some(progress), guard);
        }
        Some(database)
    }

    /// Runs a statement of our own (a pragma, `BEGIN`, `COMMIT`); its failure is nothing
    /// to report at a place in a file.
    pub(super) fn control(&self, sql: &CStr) -> Result<(), Failure> {
        // SAFETY: an open handle and a NUL-terminated statement; no callback, no message.
        let rc = unsafe {
            ffi::sqlite3_exec(
                self.db.as_ptr(),
                sql.as_ptr(),
                None,
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        match rc {
            ffi::SQLITE_OK => Ok(()),
            _ => Err(Failure::Stopped(self.stop().unwrap_or(Stop::Control))),
        }
    }

    /// Whether a transaction is open.
    pub(super) fn in_transaction(&self) -> bool {
        // SAFETY: an open handle.
        unsafe { ffi::sqlite3_get_autocommit(self.db.as_ptr()) == 0 }
    }

    /// Runs `script` statement by statement, each to its end, rows read and dropped, as
    /// sqlx's `raw_sql(script).execute(…)` does. The offsets of an error are those in the
    /// script plus `base`. With `in_transaction`, a statement that ends the open transaction
    /// stops the run.
    pub(super) fn run(
        &self,
        script: &str,
        base: usize,
        in_transaction: bool,
    ) -> Result<(), Failure> {
        let mut at = 0;
        while at < script.len() {
            // SQLite's tail never splits a character (bytes of any non-ASCII character
            // belong to identifiers); were it to, the rest could not be run as text.
            let rest = script.get(at..).ok_or(Failure::Stopped(Stop::Unusable))?;
            let length =
                c_int::try_from(rest.len()).map_err(|_| Failure::Stopped(Stop::Unusable))?;
            let mut statement = Prepared(ptr::null_mut());
            let mut tail: *const c_char = ptr::null();
            // SAFETY: an open handle; `rest` is valid for `length` bytes (SQLite reads no
            // further); the out pointers are valid.
            let rc = unsafe {
                ffi::sqlite3_prepare_v2(
                    self.db.as_ptr(),
                    rest.as_ptr().cast(),
                    length,
                    &mut statement.0,
                    &mut tail,
                )
            };
            if rc != ffi::SQLITE_OK {
                return Err(self.failure(Phase::Prepare, base + at));
            }
            // The tail is a pointer into `rest`, after the statement just prepared.
            let read = tail.addr().wrapping_sub(rest.as_ptr().addr());
            if read == 0 || read > rest.len() {
                // No progress: a NUL byte, which ends the text for SQLite.
                return Err(Failure::Stopped(Stop::Unusable));
            }
            // A null statement: only whitespace, comments or a `;` were read.
            if !statement.0.is_null() {
                self.step_to_end(&statement, base + at)?;
                if in_transaction && !self.in_transaction() {
                    return Err(Failure::Stopped(Stop::Transaction));
                }
            }
            at += read;
        }
        Ok(())
    }

    /// Steps `statement` until it is done.
    fn step_to_end(&self, statement: &Prepared, start: usize) -> Result<(), Failure> {
        loop {
            // SAFETY: a prepared, not yet finalized statement of this connection.
            match unsafe { ffi::sqlite3_step(statement.0) } {
                ffi::SQLITE_ROW => continue,
                ffi::SQLITE_DONE => return Ok(()),
                _ => return Err(self.failure(Phase::Step, start)),
            }
        }
    }

    /// The failure SQLite just reported for a statement that begins at `start`.
    fn failure(&self, phase: Phase, start: usize) -> Failure {
        if let Some(stop) = self.stop() {
            return Failure::Stopped(stop);
        }
        let db = self.db.as_ptr();
        // SAFETY: an open handle; the message is NUL-terminated and valid until the next
        // call on the connection, and copied before it.
        let (code, message, offset) = unsafe {
            let message = ffi::sqlite3_errmsg(db);
            let message = if message.is_null() {
                String::new()
            } else {
                CStr::from_ptr(message).to_string_lossy().into_owned()
            };
            (
                ffi::sqlite3_extended_errcode(db),
                message,
                ffi::sqlite3_error_offset(db),
            )
        };
        // The offset is that of the text given to the last prepare: meaningful only for a
        // failed prepare.
        let token = match phase {
            Phase::Prepare => usize::try_from(offset).ok().map(|offset| start + offset),
            Phase::Step => None,
        };
        Failure::Engine(EngineError {
            code,
            message,
            phase,
            start,
            token,
        })
    }

    /// Why the last failure was one of the guard's, if it was.
    fn stop(&self) -> Option<Stop> {
        if self.guard.refused.get() {
            Some(Stop::Refused)
        } else if self.guard.exhausted.get() {
            Some(Stop::Exhausted)
        } else {
            None
        }
    }

    /// Whether any table holds a row; `true` when that cannot be told (a query fails, the
    /// budget runs out). SQLite's internal tables do not count: statistics and sequences.
    pub(super) fn has_rows(&self) -> bool {
        let Some(tables) = self.texts(
            c"SELECT schema, name FROM pragma_table_list \
              WHERE type IN ('table', 'virtual') AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
        ) else {
            return true;
        };
        tables.chunks(2).any(|table| {
            let [schema, name] = table else {
                return true;
            };
            let query = format!(
                "SELECT 1 FROM \"{}\".\"{}\" LIMIT 1",
                schema.replace('"', "\"\""),
                name.replace('"', "\"\"")
            );
            match std::ffi::CString::new(query) {
                Ok(query) => self.texts(&query).is_none_or(|rows| !rows.is_empty()),
                Err(_) => true,
            }
        })
    }

    /// The values of every column of every row `sql` returns, as text, row after row; `None`
    /// when it fails.
    pub(super) fn texts(&self, sql: &CStr) -> Option<Vec<String>> {
        let mut statement = Prepared(ptr::null_mut());
        // SAFETY: an open handle, a NUL-terminated statement, valid out pointers.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                self.db.as_ptr(),
                sql.as_ptr(),
                -1,
                &mut statement.0,
                ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK || statement.0.is_null() {
            return None;
        }
        let mut values = Vec::new();
        loop {
            // SAFETY: a prepared statement of this connection; the column text is valid
            // until the next step, and copied before it.
            unsafe {
                match ffi::sqlite3_step(statement.0) {
                    ffi::SQLITE_ROW => {}
                    ffi::SQLITE_DONE => return Some(values),
                    _ => return None,
                }
                for column in 0..ffi::sqlite3_column_count(statement.0) {
                    let text = ffi::sqlite3_column_text(statement.0, column);
                    values.push(if text.is_null() {
                        String::new()
                    } else {
                        CStr::from_ptr(text.cast()).to_string_lossy().into_owned()
                    });
                }
            }
        }
    }
}

/// Borrows a string SQLite passes to a callback; empty for a null pointer.
///
/// # Safety
/// `text` is null or NUL-terminated, and valid for `'a`.
unsafe fn bytes<'a>(text: *const c_char) -> &'a [u8] {
    if text.is_null() {
        &[]
    } else {
        // SAFETY: as the caller promises.
        unsafe { CStr::from_ptr(text) }.to_bytes()
    }
}

/// The authorizer: refuses what could reach outside the in-memory database or depend on
/// what the application sets up at run time, and notes that it did.
///
/// - `ATTACH` and `DETACH`: files, and databases the application attaches (also `VACUUM`,
///   which attaches a temporary database, and `VACUUM INTO`, which writes a file).
/// - `load_extension()`: native code.
/// - Pragmas that set directories, process-wide memory limits or where temporary data goes.
unsafe extern "C" fn authorize(
    guard: *mut c_void,
    action: c_int,
    first: *const c_char,
    second: *const c_char,
    _database: *const c_char,
    _trigger: *const c_char,
) -> c_int {
    // SAFETY: SQLite passes strings that are null or NUL-terminated, valid during the call.
    let (first, second) = unsafe { (bytes(first), bytes(second)) };
    let refuse = match action {
        ffi::SQLITE_ATTACH | ffi::SQLITE_DETACH => true,
        ffi::SQLITE_FUNCTION => second.eq_ignore_ascii_case(b"load_extension"),
        ffi::SQLITE_PRAGMA => {
            [
                &b"temp_store_directory"[..],
                b"data_store_directory",
                b"soft_heap_limit",
                b"hard_heap_limit",
            ]
            .iter()
            .any(|name| first.eq_ignore_ascii_case(name))
                // Reading it is harmless; setting it could put temporary data in files.
                || (first.eq_ignore_ascii_case(b"temp_store") && !second.is_empty())
        }
        _ => false,
    };
    if !refuse {
        return ffi::SQLITE_OK;
    }
    // SAFETY: the connection's guard, alive while the connection is (see `Database::open`).
    let guard = unsafe { &*guard.cast_const().cast::<Guard>() };
    guard.refused.set(true);
    ffi::SQLITE_DENY
}

/// The progress handler: interrupts the statement once the budget is spent.
unsafe extern "C" fn progress(guard: *mut c_void) -> c_int {
    // SAFETY: the connection's guard, alive while the connection is (see `Database::open`).
    let guard = unsafe { &*guard.cast_const().cast::<Guard>() };
    let ticks = guard.ticks.get() + 1;
    guard.ticks.set(ticks);
    if ticks > MAX_TICKS || guard.started.elapsed() > MAX_TIME {
        guard.exhausted.set(true);
        1
    } else {
        0
    }
}
