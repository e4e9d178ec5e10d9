//! The run-time measurements: no-op start-up, fresh apply, round trips, contention.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::db::{self, Db, Fresh, Servers};
use crate::proxy::Proxy;
use crate::tools::{self, Session, Tool, SIZES};

/// What a run measures and how often; `--quick` shrinks everything for a smoke test.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Options {
    /// Timed no-op runs per tool, database and N (after `noop_warmup` untimed ones).
    pub noop_reps: usize,
    pub noop_warmup: usize,
    /// Fresh applies per tool, database and N, each on a new database...
    pub fresh_reps: usize,
    /// ...unless a tool has spent this long on one (database, N) and has 3 samples already.
    pub fresh_budget_s: f64,
    /// Rounds of 32 concurrent runners (and of one runner alone).
    pub contention_rounds: usize,
    pub contention_runners: usize,
    pub contention_n: usize,
    pub contention_timeout_s: u64,
    /// Of the fresh-apply rounds on PostgreSQL (N = 100, 1000), how many also run every tool
    /// with `synchronous_commit=off` as the database's default.
    #[serde(default)]
    pub relaxed_reps: usize,
    /// The pool size of every sqlx pool in the no-op and fresh measurements (sqlx's default).
    pub pool_max_connections: u32,
    /// The N measured (all of `SIZES` unless `--n` narrows them).
    #[serde(default = "all_sizes")]
    pub sizes: Vec<usize>,
    /// The tools measured (all unless `--tools` narrows them).
    #[serde(default = "all_tools")]
    pub tools: Vec<Tool>,
}

fn all_sizes() -> Vec<usize> {
    SIZES.to_vec()
}

fn all_tools() -> Vec<Tool> {
    Tool::ALL.to_vec()
}

impl Options {
    pub fn full() -> Options {
        Options {
            noop_reps: 200,
            noop_warmup: 10,
            fresh_reps: 5,
            fresh_budget_s: 45.0,
            contention_rounds: 9,
            contention_runners: 32,
            contention_n: 100,
            contention_timeout_s: 60,
            relaxed_reps: 3,
            pool_max_connections: 10,
            sizes: all_sizes(),
            tools: all_tools(),
        }
    }

    pub fn quick() -> Options {
        Options {
            noop_reps: 20,
            noop_warmup: 2,
            fresh_reps: 1,
            fresh_budget_s: 10.0,
            contention_rounds: 1,
            relaxed_reps: 1,
            ..Options::full()
        }
    }
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Measurement {
    pub db: Db,
    pub tool: Tool,
    pub n: usize,
    /// Milliseconds per run, in the order measured.
    pub samples_ms: Vec<f64>,
    /// Round trips of a counted run through the proxy (PostgreSQL and MariaDB): the median
    /// of `round_trip_samples` (one fresh apply; several no-op runs).
    pub round_trips: Option<u64>,
    #[serde(default)]
    pub round_trip_samples: Vec<u64>,
    /// Of `round_trips`, how many were only the pool's health check (sqlx's ping when a
    /// connection is acquired and when it is returned).
    #[serde(default)]
    pub pool_pings: Option<u64>,
    /// Client messages of the counted run that mention `synchronous_commit`.
    #[serde(default)]
    pub relaxed_commits: Option<u64>,
    /// Connections the tool opened through the proxy during that counted run.
    pub connections_opened: Option<u64>,
    /// Why the measurement (or part of it) failed.
    pub error: Option<String>,
}

impl Measurement {
    fn new(db: Db, tool: Tool, n: usize) -> Measurement {
        Measurement {
            db,
            tool,
            n,
            samples_ms: Vec::new(),
            round_trips: None,
            round_trip_samples: Vec::new(),
            pool_pings: None,
            relaxed_commits: None,
            connections_opened: None,
            error: None,
        }
    }

    fn fail(&mut self, what: &str, error: String) {
        eprintln!(
            "  FAILED {} {} N={} {what}: {error}",
            self.tool.label(),
            self.db.label(),
            self.n
        );
        let message = format!("{what}: {error}");
        match &mut self.error {
            Some(existing) => {
                existing.push_str("; ");
                existing.push_str(&message);
            }
            None => self.error = Some(message),
        }
    }

    pub fn median(&self) -> Option<f64> {
        percentile(&self.samples_ms, 0.5)
    }

    pub fn p90(&self) -> Option<f64> {
        percentile(&self.samples_ms, 0.9)
    }
}

/// Nearest-rank percentile (the median of an even count is the mean of the middle two).
pub fn percentile(samples: &[f64], p: f64) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    if p == 0.5 {
        let mid = sorted.len() / 2;
        return Some(if sorted.len().is_multiple_of(2) {
            (sorted[mid - 1] + sorted[mid]) / 2.0
        } else {
            sorted[mid]
        });
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

const RUN_TIMEOUT: Duration = Duration::from_secs(300);
const PAUSE: Duration = Duration::from_millis(2);
/// Counted no-op runs per tool, database and N.
pub const COUNTED_NOOPS: usize = 5;

async fn run_once(session: &mut Session, n: usize) -> Result<tools::Run, String> {
    match tokio::time::timeout(RUN_TIMEOUT, session.run(n)).await {
        Ok(result) => result,
        Err(_) => Err(format!("no answer within {} s", RUN_TIMEOUT.as_secs())),
    }
}

fn tools_for(db: Db, options: &Options) -> Vec<Tool> {
    Tool::ALL
        .into_iter()
        .filter(|t| t.supports(db) && options.tools.contains(t))
        .collect()
}

/// Fresh apply and no-op start-up for every database, N and tool; the tools take turns so
/// that a drift of the machine does not favour one.
/// What [`fresh_and_noop`] measured.
pub struct FreshAndNoop {
    pub fresh: Vec<Measurement>,
    pub relaxed: Vec<Measurement>,
    pub noop: Vec<Measurement>,
    pub skipped: Vec<String>,
}

pub async fn fresh_and_noop(servers: &Servers, options: &Options, dbs: &[Db]) -> FreshAndNoop {
    let mut fresh_all = Vec::new();
    let mut relaxed_all = Vec::new();
    let mut noop_all = Vec::new();
    let mut skipped = Vec::new();
    for &db in dbs {
        if let Some(reason) = servers.unavailable(db) {
            skipped.push(format!("{}: {reason}", db.label()));
            eprintln!("SKIPPED {}: {reason}", db.label());
            continue;
        }
        for &n in &options.sizes {
            eprintln!("{} N={n}", db.label());
            let tools = tools_for(db, options);
            let mut fresh: BTreeMap<Tool, Measurement> = tools
                .iter()
                .map(|&t| (t, Measurement::new(db, t, n)))
                .collect();
            let mut noop = fresh.clone();
            // On PostgreSQL (N = 100 and 1000), the same fresh apply with
            // `synchronous_commit=off` as the database default, interleaved with the default
            // runs so that both see the same machine.
            let with_relaxed = db == Db::Postgres && n >= 100 && options.relaxed_reps > 0;
            let mut relaxed: BTreeMap<Tool, Measurement> = if with_relaxed {
                fresh.clone()
            } else {
                BTreeMap::new()
            };
            let mut spent: BTreeMap<(Tool, bool), Duration> = BTreeMap::new();
            // The database each tool keeps after its first fresh apply, for the no-op runs.
            let mut kept: Vec<(Tool, Fresh, Session)> = Vec::new();
            for rep in 0..options.fresh_reps {
                // The tools take turns in a rotating order, so that none is always first.
                let mut order: Vec<(Tool, bool)> = tools.iter().map(|&t| (t, false)).collect();
                if with_relaxed && rep < options.relaxed_reps {
                    order.extend(tools.iter().map(|&t| (t, true)));
                }
                let len = order.len();
                order.rotate_left(rep % len);
                for (tool, is_relaxed) in order {
                    let m = if is_relaxed {
                        relaxed.get_mut(&tool).unwrap()
                    } else {
                        fresh.get_mut(&tool).unwrap()
                    };
                    if m.error.is_some() {
                        continue;
                    }
                    let used = spent
                        .get(&(tool, is_relaxed))
                        .copied()
                        .unwrap_or_default()
                        .as_secs_f64();
                    if rep > 0
                        && ((m.samples_ms.len() >= 3 && used > options.fresh_budget_s)
                            || used > 3.0 * options.fresh_budget_s)
                    {
                        continue;
                    }
                    let what = if is_relaxed {
                        "fresh apply (synchronous_commit=off)"
                    } else {
                        "fresh apply"
                    };
                    let started = Instant::now();
                    let target = if is_relaxed {
                        servers.fresh_relaxed().await
                    } else {
                        servers.fresh(db).await
                    };
                    let target = match target {
                        Ok(f) => f,
                        Err(e) => {
                            m.fail("creating a database", e);
                            continue;
                        }
                    };
                    let mut keep = false;
                    match Session::connect(tool, db, &target.url, options.pool_max_connections)
                        .await
                    {
                        Err(e) => {
                            m.fail(what, e);
                            servers.drop_db(&target).await;
                        }
                        Ok(mut session) => {
                            match run_once(&mut session, n).await {
                                Err(e) => m.fail(what, e),
                                Ok(run) if run.applied.is_some_and(|a| a != n) => {
                                    m.fail(what, format!("applied {:?} of {n}", run.applied))
                                }
                                Ok(run) => match tools::verify(tool, db, &target.url, n).await {
                                    Err(e) => m.fail(&format!("verifying the {what}"), e),
                                    Ok(()) => {
                                        m.samples_ms.push(ms(run.elapsed));
                                        eprintln!(
                                            "  fresh {:<18} {:>10.1} ms{}",
                                            tool.label(),
                                            ms(run.elapsed),
                                            if is_relaxed {
                                                "  (synchronous_commit=off)"
                                            } else {
                                                ""
                                            }
                                        );
                                        keep = rep == 0 && !is_relaxed;
                                    }
                                },
                            }
                            if keep {
                                kept.push((tool, target, session));
                            } else {
                                session.close().await;
                                servers.drop_db(&target).await;
                            }
                        }
                    }
                    *spent.entry((tool, is_relaxed)).or_default() += started.elapsed();
                }
            }
            relaxed_all.extend(relaxed.into_values());

            // No-op start-up on the kept databases, all N applied, connection established.
            let blocks = 10.min(options.noop_reps.max(1));
            for (tool, _, session) in kept.iter_mut() {
                let m = noop.get_mut(tool).unwrap();
                for _ in 0..options.noop_warmup {
                    if let Err(e) = run_once(session, n).await {
                        m.fail("no-op warm-up", e);
                        break;
                    }
                }
            }
            for block in 0..blocks {
                let reps =
                    options.noop_reps / blocks + usize::from(block < options.noop_reps % blocks);
                for (tool, _, session) in kept.iter_mut() {
                    let m = noop.get_mut(tool).unwrap();
                    if m.error.is_some() {
                        continue;
                    }
                    for _ in 0..reps {
                        match run_once(session, n).await {
                            Err(e) => {
                                m.fail("no-op run", e);
                                break;
                            }
                            Ok(run) if run.applied.is_some_and(|a| a != 0) => {
                                m.fail("no-op run", format!("applied {:?}", run.applied));
                                break;
                            }
                            Ok(run) => m.samples_ms.push(ms(run.elapsed)),
                        }
                        // Untimed: lets a pool take the connection back (sqlx pings it on
                        // release, in a task of its own) so that each run starts, as an
                        // application does, with an idle connection in the pool.
                        tokio::time::sleep(PAUSE).await;
                    }
                }
            }
            for (tool, target, session) in kept {
                let m = &noop[&tool];
                if let (Some(median), Some(p90)) = (m.median(), m.p90()) {
                    eprintln!(
                        "  no-op {:<18} median {median:>8.3} ms  p90 {p90:>8.3} ms",
                        tool.label()
                    );
                }
                session.close().await;
                servers.drop_db(&target).await;
            }
            for (tool, m) in noop.iter_mut() {
                if fresh[tool].samples_ms.is_empty() && m.error.is_none() {
                    m.error = Some("no database to run on: the fresh apply failed".into());
                }
            }

            // Round trips, through the counting proxy, on a database of their own.
            if db != Db::Sqlite {
                for &tool in &tools {
                    let f = fresh.get_mut(&tool).unwrap();
                    let z = noop.get_mut(&tool).unwrap();
                    if let Err(e) = count_round_trips(servers, options, db, tool, n, f, z).await {
                        eprintln!("  round trips {} failed: {e}", tool.label());
                        if f.round_trips.is_none() {
                            f.fail("counting round trips", e.clone());
                        }
                        if z.round_trips.is_none() {
                            z.fail("counting round trips", e);
                        }
                    }
                }
            }
            fresh_all.extend(fresh.into_values());
            noop_all.extend(noop.into_values());
        }
    }
    FreshAndNoop {
        fresh: fresh_all,
        relaxed: relaxed_all,
        noop: noop_all,
        skipped,
    }
}

/// One fresh apply and one no-op run through the proxy, counting round trips.
async fn count_round_trips(
    servers: &Servers,
    options: &Options,
    db: Db,
    tool: Tool,
    n: usize,
    fresh: &mut Measurement,
    noop: &mut Measurement,
) -> Result<(), String> {
    let (admin_url, port) = match db {
        Db::Postgres => (db::postgres_url(), 5432),
        Db::MariaDb => (db::mysql_url(), 3306),
        Db::Sqlite => return Ok(()),
    };
    let proxy = Proxy::start(db::host_port(&admin_url, port))
        .await
        .map_err(|e| format!("starting the proxy: {e}"))?;
    let target = servers.fresh(db).await?;
    let result = async {
        let url = db::through(&target.url, proxy.port());
        let mut session = Session::connect(tool, db, &url, options.pool_max_connections).await?;
        let result = async {
            tokio::time::sleep(Duration::from_millis(100)).await;
            proxy.reset();
            let run = run_once(&mut session, n).await?;
            // Let traffic the run set off in the background (a pool's release ping) finish.
            tokio::time::sleep(Duration::from_millis(100)).await;
            fresh.round_trips = Some(proxy.turns());
            fresh.round_trip_samples = vec![proxy.turns()];
            fresh.pool_pings = Some(proxy.pings());
            fresh.relaxed_commits = Some(proxy.relaxed_commits());
            fresh.connections_opened = Some(proxy.connections());
            if run.applied.is_some_and(|a| a != n) {
                return Err(format!("applied {:?} of {n}", run.applied));
            }
            tools::verify(tool, db, &target.url, n).await?;
            // A warm-up no-op (a tool may reopen a connection it closed after applying), then
            // counted runs, each starting with the connection idle in the pool.
            run_once(&mut session, n).await?;
            let mut connections = 0;
            let mut pings = Vec::new();
            for _ in 0..COUNTED_NOOPS {
                tokio::time::sleep(Duration::from_millis(100)).await;
                proxy.reset();
                run_once(&mut session, n).await?;
                tokio::time::sleep(Duration::from_millis(100)).await;
                noop.round_trip_samples.push(proxy.turns());
                pings.push(proxy.pings());
                connections = connections.max(proxy.connections());
            }
            let mut sorted = noop.round_trip_samples.clone();
            sorted.sort_unstable();
            noop.round_trips = Some(sorted[(sorted.len() - 1) / 2]);
            pings.sort_unstable();
            noop.pool_pings = Some(pings[(pings.len() - 1) / 2]);
            noop.connections_opened = Some(connections);
            Ok(())
        }
        .await;
        session.close().await;
        result
    }
    .await;
    servers.drop_db(&target).await;
    if let (Some(f), Some(z)) = (fresh.round_trips, noop.round_trips) {
        eprintln!(
            "  round trips {:<18} fresh {f:>6}  no-op {z:>4}",
            tool.label()
        );
    }
    result
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Round {
    pub runners: usize,
    /// From the moment all runners are released until the last one returns (or the timeout).
    pub wall_ms: f64,
    pub succeeded: usize,
    pub failed: usize,
    pub timed_out: bool,
    /// Distinct error messages, with how many runners returned each.
    pub errors: Vec<(String, usize)>,
    /// Migrations reported as applied, summed over runners (where the tool reports them).
    pub applied_total: Option<usize>,
    /// After the round: history rows, and whether each version appears once and all tables
    /// exist.
    pub history_rows: Option<i64>,
    pub verified: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Contention {
    pub tool: Tool,
    pub n: usize,
    pub single: Vec<Round>,
    pub concurrent: Vec<Round>,
    pub error: Option<String>,
}

/// `runners` runners, each with its own pool of one connection, connect, wait at a barrier,
/// and run together on one empty PostgreSQL database.
async fn contention_round(
    servers: &Servers,
    options: &Options,
    tool: Tool,
    runners: usize,
) -> Result<Round, String> {
    let n = options.contention_n;
    let target = servers.fresh(Db::Postgres).await?;
    let barrier = Arc::new(tokio::sync::Barrier::new(runners + 1));
    let mut tasks = Vec::new();
    for _ in 0..runners {
        let url = target.url.clone();
        let barrier = barrier.clone();
        tasks.push(tokio::spawn(async move {
            let session = Session::connect(tool, Db::Postgres, &url, 1).await;
            barrier.wait().await;
            let mut session = session?;
            let result = session.run(n).await;
            session.close().await;
            result.map(|run| run.applied)
        }));
    }
    barrier.wait().await;
    let start = Instant::now();
    let deadline = start + Duration::from_secs(options.contention_timeout_s);
    let mut succeeded = 0;
    let mut failed = 0;
    let mut timed_out = false;
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    let mut applied_total = Some(0usize);
    let mut last_done = start;
    for task in &mut tasks {
        match tokio::time::timeout_at(deadline.into(), task).await {
            Err(_) => {
                timed_out = true;
                break;
            }
            Ok(Err(join)) => {
                failed += 1;
                *errors.entry(format!("task: {join}")).or_default() += 1;
            }
            Ok(Ok(Err(e))) => {
                failed += 1;
                *errors.entry(e).or_default() += 1;
            }
            Ok(Ok(Ok(applied))) => {
                succeeded += 1;
                applied_total = match (applied_total, applied) {
                    (Some(total), Some(a)) => Some(total + a),
                    _ => None,
                };
            }
        }
        last_done = Instant::now();
    }
    let wall = if timed_out { deadline } else { last_done } - start;
    if timed_out {
        for task in &tasks {
            task.abort();
        }
        let still = tasks.iter().filter(|t| !t.is_finished()).count();
        *errors
            .entry(format!(
                "still running after {} s (aborted)",
                options.contention_timeout_s
            ))
            .or_default() += still;
    }
    let (history_rows, verified) = match tools::verify(tool, Db::Postgres, &target.url, n).await {
        Ok(()) => (Some(n as i64), Some("ok".to_string())),
        Err(e) => (None, Some(e)),
    };
    servers.drop_db(&target).await;
    Ok(Round {
        runners,
        wall_ms: ms(wall),
        succeeded,
        failed,
        timed_out,
        errors: errors.into_iter().collect(),
        applied_total,
        history_rows,
        verified,
    })
}

pub async fn contention(servers: &Servers, options: &Options) -> Vec<Contention> {
    let mut results = Vec::new();
    if let Some(reason) = servers.unavailable(Db::Postgres) {
        eprintln!("SKIPPED contention: {reason}");
        return results;
    }
    for tool in Tool::ALL.into_iter().filter(|t| options.tools.contains(t)) {
        eprintln!(
            "contention {} ({} runners, N={})",
            tool.label(),
            options.contention_runners,
            options.contention_n
        );
        let mut c = Contention {
            tool,
            n: options.contention_n,
            single: Vec::new(),
            concurrent: Vec::new(),
            error: None,
        };
        // One runner alone and all runners together alternate, round by round, so that a
        // drift of the machine does not fall on one side.
        for _ in 0..options.contention_rounds {
            match contention_round(servers, options, tool, 1).await {
                Ok(round) => {
                    eprintln!(
                        "  1 runner: {:.1} ms, ok={} failed={}",
                        round.wall_ms, round.succeeded, round.failed
                    );
                    c.single.push(round);
                }
                Err(e) => {
                    c.error = Some(e);
                    break;
                }
            }
            match contention_round(servers, options, tool, options.contention_runners).await {
                Ok(round) => {
                    eprintln!(
                        "  {} runners: {:.1} ms, ok={} failed={} timed out={} verified={:?} errors={:?}",
                        round.runners,
                        round.wall_ms,
                        round.succeeded,
                        round.failed,
                        round.timed_out,
                        round.verified,
                        round.errors
                    );
                    let stop = round.timed_out;
                    c.concurrent.push(round);
                    if stop {
                        break;
                    }
                }
                Err(e) => {
                    c.error = Some(e);
                    break;
                }
            }
        }
        results.push(c);
    }
    results
}
