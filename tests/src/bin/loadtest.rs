//! The load benchmark: builds a demo database of N peer workers with `peertrack demo`, starts
//! the release `peertrack` on it on a loopback port, drives it over HTTP with many concurrent
//! connections, and prints a table of throughput, latency and memory against the targets.
//!
//! ```sh
//! cargo run --release -p peertrack-e2e --bin loadtest -- --people 100000
//! ```
//!
//! Options: `--people N` (100000), `--seed S` (1), `--seconds S` per measurement (10),
//! `--connections C` (64), `--database URL` (default: a new SQLite file in a temporary folder;
//! a PostgreSQL URL must name an empty database, or one that already holds the demo data),
//! `--binary PATH` (default: build and use target/release/peertrack), `--keep` (keep the
//! temporary folder with the database and the server's log), `--only NAME,...` (measure only
//! these rows, e.g. `--only register` for the partner register's shapes; see `--help`).
//!
//! Each row is measured on its own (1 s of warm-up, then `--seconds`), and reports its rate,
//! p50 and p99, its rate as a share of `/health` in the same run (measured first and last; the
//! mean of the two), and the server's peak resident memory during that row (VmHWM, reset
//! before each row through `/proc/PID/clear_refs`). Register answers are logged at once and
//! spread into people's access logs by the server afterwards; after each row the benchmark
//! gives the server 10 s to spread them, reports how many were left and how fast they were
//! spread, and drops the rest, so that no row pays for the one before it. The
//! `page-sustained` row reads pages without a pause for six times as long, to show the
//! spreading under load that a row of its own never reaches.
//!
//! The server logs to `server.log` in the temporary folder, at `warn` unless
//! `LOADTEST_SERVER_LOG` gives another filter.
//!
//! Every request goes to 127.0.0.1; each measurement stops after its time or 5 million
//! requests, whichever comes first, and the server is stopped at the end.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::Utc;
use diesel::prelude::*;
use peertrack_core::demo;
use peertrack_core::service::{progress, register};
use peertrack_core::store::schema::{cohort_tutors, consents, enrolments, organisations, sessions};
use peertrack_core::store::{self, tokens, Database, DatabaseUrl, PoolOptions};
use peertrack_e2e::bench::{
    has_demo_data, load_average, peertrack_binary, spread_or_drop, wait_for_outbox, Spreading,
};
use serde_json::{json, Value};

/// No measurement sends more requests than this, however fast the server.
const MAX_REQUESTS_PER_MEASUREMENT: usize = 5_000_000;

#[derive(Debug, Clone)]
struct Options {
    people: u32,
    seed: u64,
    seconds: u64,
    connections: usize,
    database: Option<String>,
    binary: Option<PathBuf>,
    keep: bool,
    only: Option<Vec<String>>,
}

fn options() -> Result<Options> {
    let mut options = Options {
        people: 100_000,
        seed: 1,
        seconds: 10,
        connections: 64,
        database: None,
        binary: None,
        keep: false,
        only: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--people" => options.people = value()?.parse().context("--people")?,
            "--seed" => options.seed = value()?.parse().context("--seed")?,
            "--seconds" => options.seconds = value()?.parse().context("--seconds")?,
            "--connections" => options.connections = value()?.parse().context("--connections")?,
            "--database" => options.database = Some(value()?),
            "--binary" => options.binary = Some(PathBuf::from(value()?)),
            "--keep" => options.keep = true,
            "--only" => options.only = Some(value()?.split(',').map(str::to_string).collect()),
            "--help" | "-h" => {
                println!("{}", HELP);
                std::process::exit(0);
            }
            other => bail!("unknown option {other}; see --help"),
        }
    }
    if options.seconds == 0 || options.seconds > 600 || options.connections == 0 || options.connections > 1024
    {
        bail!("--seconds must be 1 to 600 and --connections 1 to 1024");
    }
    Ok(options)
}

const HELP: &str = "loadtest [--people N] [--seed S] [--seconds S] [--connections C] \
[--database URL] [--binary PATH] [--keep] [--only NAME,...]

Rows (--only takes these names, or `register` for every register shape):
  health            GET /health (always measured first and last: the ceiling)
  page              register page of 50 at cursors across the whole register
  page-first        register page of 50 from the start
  today             ... qualified_on=today
  past              ... qualified_on=3 years ago
  future            ... qualified_on=3 years ahead
  p2p               ... programme=P2P
  pda               ... programme=PDA-MHPS
  p2p-past          ... programme=P2P&qualified_on=3 years ago
  pda-future        ... programme=PDA-MHPS&qualified_on=3 years ahead
  person            GET /v1/register/peer-supporters/{person_id}
  page-sustained    register page of 50 at cursors for six times --seconds, without a pause
  put               PUT a 12-learner register (tutor)
  progress          GET a cohort's progress page (tutor)
  eligibility       eligibility for every enrolment, in process
  inprocess         register pages in process, the statements alone";

/// The register's query shapes: (row name, what, query string without limit and cursor, whether
/// it pages from the start only). Dates are relative to today, in years.
const REGISTER_SHAPES: &[(&str, &str, &str, Option<i32>, bool)] = &[
    (
        "page",
        "register page of 50, cursors across the register",
        "",
        None,
        false,
    ),
    (
        "page-first",
        "register page of 50, from the start",
        "",
        None,
        true,
    ),
    ("today", "... qualified_on=today", "", Some(0), false),
    ("past", "... qualified_on=3 years ago", "", Some(-3), false),
    ("future", "... qualified_on=3 years ahead", "", Some(3), false),
    ("p2p", "... programme=P2P", "P2P", None, false),
    ("pda", "... programme=PDA-MHPS", "PDA-MHPS", None, false),
    (
        "p2p-past",
        "... programme=P2P&qualified_on=3 years ago",
        "P2P",
        Some(-3),
        false,
    ),
    (
        "pda-future",
        "... programme=PDA-MHPS&qualified_on=3 years ahead",
        "PDA-MHPS",
        Some(3),
        false,
    ),
];

impl Options {
    /// Whether the row `name` is to be measured.
    fn wants(&self, name: &str) -> bool {
        let register = is_register_row(name);
        self.only
            .as_ref()
            .is_none_or(|only| only.iter().any(|o| o == name || (o == "register" && register)))
    }
}

/// Whether `name` is one of the partner register's rows.
fn is_register_row(name: &str) -> bool {
    REGISTER_SHAPES.iter().any(|s| s.0 == name) || name == "person" || name == "page-sustained"
}

/// A register row's sustained run is this many times as long as the others.
const SUSTAINED: u32 = 6;

/// After each row, how long the server may spread what the row left waiting before the rest
/// is dropped.
const SPREAD_WAIT: Duration = Duration::from_secs(10);

/// What one measurement found.
struct Measured {
    name: &'static str,
    what: String,
    /// The server's peak resident memory during this row, in MiB.
    peak_rss_mib: Option<f64>,
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies_us: Vec<u32>,
    first_error: Option<String>,
    /// Register answers still waiting to be spread into people's logs when the row ended, and
    /// how many the server spread once requests stopped.
    spread_after: Option<Spreading>,
}

impl Measured {
    fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * (self.latencies_us.len() - 1) as f64).round() as usize;
        f64::from(self.latencies_us[rank]) / 1000.0
    }
}

/// Makes the request number `n` of a measurement.
type MakeRequest = Arc<dyn Fn(&reqwest::Client, u64) -> reqwest::RequestBuilder + Send + Sync>;

/// Drives `make` with `connections` concurrent loops for `duration`.
async fn measure(
    name: &'static str,
    what: &str,
    client: &reqwest::Client,
    connections: usize,
    duration: Duration,
    make: MakeRequest,
) -> Measured {
    let started = Instant::now();
    let deadline = started + duration;
    let issued = Arc::new(AtomicUsize::new(0));
    let mut loops = tokio::task::JoinSet::new();
    for connection in 0..connections {
        let client = client.clone();
        let make = make.clone();
        let issued = issued.clone();
        loops.spawn(async move {
            let mut latencies = Vec::with_capacity(4096);
            let mut errors = 0;
            let mut first_error = None;
            let mut n = connection as u64;
            while Instant::now() < deadline
                && issued.fetch_add(1, Ordering::Relaxed) < MAX_REQUESTS_PER_MEASUREMENT
            {
                let request = make(&client, n);
                n += connections as u64;
                let sent = Instant::now();
                let outcome = match request.send().await {
                    Ok(response) => {
                        let status = response.status();
                        let body = response.bytes().await;
                        match body {
                            Ok(_) if status.is_success() => Ok(()),
                            Ok(body) => Err(format!("{status}: {}", String::from_utf8_lossy(&body))),
                            Err(e) => Err(e.to_string()),
                        }
                    }
                    Err(e) => Err(e.to_string()),
                };
                latencies.push(u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX));
                if let Err(error) = outcome {
                    errors += 1;
                    first_error.get_or_insert(error);
                }
            }
            (latencies, errors, first_error)
        });
    }
    let mut measured = Measured {
        name,
        what: what.to_string(),
        peak_rss_mib: None,
        requests: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies_us: Vec::new(),
        first_error: None,
        spread_after: None,
    };
    while let Some(done) = loops.join_next().await {
        let (latencies, errors, first_error) = done.expect("a request loop");
        measured.requests += latencies.len();
        measured.latencies_us.extend(latencies);
        measured.errors += errors;
        if measured.first_error.is_none() {
            measured.first_error = first_error;
        }
    }
    measured.elapsed = started.elapsed();
    measured.latencies_us.sort_unstable();
    measured
}

/// A small deterministic generator for request bodies.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A session whose register the benchmark takes, with its cohort's twelve learners.
#[derive(Clone)]
struct Register {
    session_id: String,
    learners: Vec<String>,
    token: String,
}

/// A cohort whose progress page the benchmark reads.
#[derive(Clone)]
struct CohortPage {
    cohort_id: String,
    token: String,
}

struct Setup {
    api_key: String,
    registers: Vec<Register>,
    cohorts: Vec<CohortPage>,
    /// Eligibility for everyone, and how long it took, if measured.
    eligibility: Option<(progress::RegisterEligibility, Duration)>,
    pages_in_process: Option<PagesInProcess>,
    /// Positions across the whole register (person ids of people who share with the partner,
    /// evenly spaced), as cursors; `None` is the start.
    cursors: Vec<Option<String>>,
    /// People who share with the partner, for the one-person look-up.
    sharers: Vec<String>,
}

/// Register pages read in process: the store alone, with no HTTP, JSON, key check or access
/// log, one connection per core. The most the register page over HTTP could reach.
struct PagesInProcess {
    workers: usize,
    pages: usize,
    elapsed: Duration,
    cpu_per_page: Duration,
}

impl PagesInProcess {
    fn per_second(&self) -> f64 {
        self.pages as f64 / self.elapsed.as_secs_f64()
    }
}

/// Picks sessions, cohorts and credentials from the demo data, and times eligibility for the
/// whole register, before the server starts.
fn prepare(url: &DatabaseUrl, options: &Options) -> Result<Setup> {
    let db = Database::open(url, PoolOptions::default())?;
    let now = Utc::now();
    let stored_now = store::stored(now);
    let (api_key, partner, registers, cohorts, shared) = db.write(|conn| {
        let partner: String = organisations::table
            .filter(organisations::name.eq(demo::PARTNER_NAME))
            .select(organisations::id)
            .first(conn)?;
        let (api_key, key) = tokens::create_api_key(conn, &partner, "Load benchmark", stored_now)?;
        let partner = register::Partner {
            organisation_id: partner,
            api_key_id: key.id,
        };
        // Cohorts of exactly twelve with a held session, in a fixed order.
        let twelve: Vec<String> = enrolments::table
            .group_by(enrolments::cohort_id)
            .having(diesel::dsl::count_star().eq(12))
            .select(enrolments::cohort_id)
            .order(enrolments::cohort_id)
            .limit(400)
            .load(conn)?;
        let mut registers = Vec::new();
        let mut cohorts = Vec::new();
        let mut tokens = std::collections::HashMap::new();
        for cohort_id in twelve {
            let held: Vec<String> = sessions::table
                .filter(sessions::cohort_id.eq(&cohort_id))
                .filter(sessions::starts_at.le(stored_now))
                .select(sessions::id)
                .order(sessions::starts_at)
                .load(conn)?;
            if held.is_empty() {
                continue;
            }
            let tutor: String = cohort_tutors::table
                .filter(cohort_tutors::cohort_id.eq(&cohort_id))
                .select(cohort_tutors::person_id)
                .order(cohort_tutors::person_id)
                .first(conn)?;
            let token = match tokens.get(&tutor) {
                Some(token) => String::clone(token),
                None => {
                    let token = peertrack_e2e::bearer_token(conn, &tutor, now)?;
                    tokens.insert(tutor.clone(), token.clone());
                    token
                }
            };
            let learners: Vec<String> = enrolments::table
                .filter(enrolments::cohort_id.eq(&cohort_id))
                .select(enrolments::person_id)
                .load(conn)?;
            for session_id in held {
                registers.push(Register {
                    session_id,
                    learners: learners.clone(),
                    token: token.clone(),
                });
            }
            cohorts.push(CohortPage { cohort_id, token });
        }
        // Every sharer's id, in register order: cursors evenly spaced over them, and a
        // sample for the one-person look-up.
        let shared: Vec<String> = consents::table
            .filter(consents::organisation_id.eq(&partner.organisation_id))
            .filter(consents::withdrawn_at.is_null())
            .select(consents::person_id)
            .order(consents::person_id)
            .load(conn)?;
        Ok((api_key, partner, registers, cohorts, shared))
    })?;
    if shared.is_empty() {
        bail!("nobody in the demo data shares with the partner; use more --people");
    }
    let step = (shared.len() / CURSORS).max(1);
    let mut cursors: Vec<Option<String>> = vec![None];
    cursors.extend(shared.iter().step_by(step).skip(1).map(|id| Some(id.clone())));
    let sharers: Vec<String> = (0..SHARERS as u64)
        .map(|n| shared[(mix(n ^ 0x5eed) % shared.len() as u64) as usize].clone())
        .collect();
    if registers.is_empty() {
        bail!("the demo data has no held session in a cohort of twelve; use more --people");
    }
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let eligibility = if options.wants("eligibility") {
        eprintln!("timing eligibility for the whole register...");
        let started = Instant::now();
        let eligibility = progress::every_learner_progress_in_parallel(&db, now, workers, |_| {})?;
        Some((eligibility, started.elapsed()))
    } else {
        None
    };
    let pages_in_process = if options.wants("inprocess") {
        eprintln!("reading register pages in process for 5 s...");
        Some(read_pages_in_process(
            &db,
            &partner,
            &cursors,
            workers,
            Duration::from_secs(5),
        )?)
    } else {
        None
    };
    Ok(Setup {
        api_key,
        registers,
        cohorts,
        eligibility,
        pages_in_process,
        cursors,
        sharers,
    })
}

/// How many positions across the register the page rows start from.
const CURSORS: usize = 400;

/// How many people the one-person look-up row asks about.
const SHARERS: usize = 2_000;

/// Reads pages of 50 at cursors across the whole register, as the HTTP measurement does, on
/// `workers` threads for `how_long`, through `register::search` alone.
fn read_pages_in_process(
    db: &Database,
    partner: &register::Partner,
    cursors: &[Option<String>],
    workers: usize,
    how_long: Duration,
) -> Result<PagesInProcess> {
    let today = Utc::now().date_naive();
    let cpu_before = process_cpu_time();
    let started = Instant::now();
    let pages = AtomicUsize::new(0);
    std::thread::scope(|scope| -> Result<()> {
        let handles: Vec<_> = (0..workers.max(1))
            .map(|worker| {
                let (cursors, pages) = (&cursors, &pages);
                scope.spawn(move || {
                    db.read(|conn| {
                        let mut n = worker as u64;
                        while started.elapsed() < how_long {
                            let after = &cursors[(mix(n) % cursors.len() as u64) as usize];
                            register::search(conn, partner, None, today, after.as_deref(), 50)?;
                            pages.fetch_add(1, Ordering::Relaxed);
                            n += workers as u64;
                        }
                        Ok(())
                    })
                })
            })
            .collect();
        for handle in handles {
            handle
                .join()
                .map_err(|_| anyhow::anyhow!("a page reader stopped"))??;
        }
        Ok(())
    })?;
    let elapsed = started.elapsed();
    let pages = pages.into_inner();
    let cpu = process_cpu_time().saturating_sub(cpu_before);
    Ok(PagesInProcess {
        workers: workers.max(1),
        pages,
        elapsed,
        cpu_per_page: cpu / u32::try_from(pages.max(1)).unwrap_or(u32::MAX),
    })
}

/// CPU time this process has used (user and system), from `/proc/self/stat`; zero elsewhere.
fn process_cpu_time() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // The fields after the command name (which is in parentheses and may hold spaces):
    // utime and stime are the 12th and 13th, in clock ticks (100 a second on Linux).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    Duration::from_millis(ticks * 10)
}

/// A running server we started; stopped when dropped.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(binary: &Path, database: &str, folder: &Path) -> Result<Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let log = std::fs::File::create(folder.join("server.log"))?;
        let child = Command::new(binary)
            .arg("serve")
            .env("PEERTRACK_DATABASE_URL", database)
            .env("PEERTRACK_LISTEN", format!("127.0.0.1:{port}"))
            .env("PEERTRACK_KEY_DIR", folder.join("keys"))
            .env("PEERTRACK_MAIL_DIR", folder.join("mail"))
            .env_remove("PEERTRACK_SMTP_URL")
            .env(
                "RUST_LOG",
                std::env::var("LOADTEST_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .context("starting peertrack serve")?;
        Ok(Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        })
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident memory so far, in KiB (VmHWM).
    fn peak_rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid())).ok()?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kib| kib.parse().ok())
    }

    /// Starts counting peak resident memory afresh (Linux: writing 5 to `clear_refs`).
    fn reset_peak_rss(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.pid()), "5");
    }

    /// Asks the server to stop (SIGTERM), then makes sure it has.
    fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.stop();
        }
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let options = options()?;
    let binary = peertrack_binary(options.binary.clone())?;
    let folder = tempfile::Builder::new().prefix("peertrack-loadtest-").tempdir()?;
    let outcome = run(&options, &binary, folder.path()).await;
    if outcome.is_err() {
        let log = std::fs::read_to_string(folder.path().join("server.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        for line in tail.into_iter().rev() {
            eprintln!("server: {line}");
        }
    }
    if options.keep {
        let kept = folder.keep();
        eprintln!("kept {}", kept.display());
    }
    outcome
}

async fn run(options: &Options, binary: &Path, folder: &Path) -> Result<()> {
    let database = options
        .database
        .clone()
        .unwrap_or_else(|| folder.join("bench.db").to_string_lossy().into_owned());
    let url = DatabaseUrl::parse(&database)?;
    let backend = match url.backend() {
        store::Backend::Sqlite => "SQLite",
        store::Backend::Postgres => "PostgreSQL",
    };
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    eprintln!("load average at start: {}", load_average());

    // The demo data, by the real command.
    let demo_time = {
        let url = url.clone();
        if tokio::task::spawn_blocking(move || has_demo_data(&url)).await?? {
            eprintln!("the database already holds the demo data; using it as it is");
            None
        } else {
            eprintln!(
                "peertrack demo --people {} --seed {}...",
                options.people, options.seed
            );
            let started = Instant::now();
            let output = Command::new(binary)
                .args([
                    "demo",
                    "--people",
                    &options.people.to_string(),
                    "--seed",
                    &options.seed.to_string(),
                ])
                .env("PEERTRACK_DATABASE_URL", &database)
                .env("RUST_LOG", "warn")
                .stderr(Stdio::inherit())
                .output()
                .context("running peertrack demo")?;
            if !output.status.success() {
                bail!("peertrack demo failed");
            }
            Some(started.elapsed())
        }
    };

    eprintln!("choosing sessions and cohorts, timing eligibility for the whole register...");
    let setup = {
        let url = url.clone();
        let options = options.clone();
        tokio::task::spawn_blocking(move || prepare(&url, &options)).await??
    };

    // Watches the access log between rows; opened before the server starts (see
    // `spread_or_drop`).
    let watcher = Database::open(
        &url,
        PoolOptions {
            max_connections: 1,
            ..PoolOptions::default()
        },
    )?;
    let mut server = Server::start(binary, &database, folder)?;
    eprintln!("peertrack serve is process {} on {}", server.pid(), server.base);
    let client = reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(options.connections)
        .timeout(Duration::from_secs(30))
        .build()?;
    let health = format!("{}/health", server.base);
    let up_by = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(response) = client.get(&health).send().await {
            if response.status().is_success() {
                break;
            }
        }
        if Instant::now() > up_by {
            bail!("the server did not answer /health within 120 s");
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            bail!("the server stopped ({status})");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // The email worker's first round on fresh demo data queues and sends a few thousand
    // notices; measure the service once that has settled.
    let settled = {
        let url = url.clone();
        tokio::task::spawn_blocking(move || wait_for_outbox(&url, Duration::from_secs(120))).await??
    };
    eprintln!("the email outbox settled in {:.1} s", settled.as_secs_f64());

    let seconds = Duration::from_secs(options.seconds);
    let base = Arc::new(server.base.clone());
    let today = Utc::now().date_naive();
    let mut rows: Vec<(&'static str, String, MakeRequest)> = Vec::new();

    let make_health: MakeRequest = {
        let url = health.clone();
        Arc::new(move |client: &reqwest::Client, _| client.get(&url))
    };
    let cursors: Arc<Vec<Option<String>>> = Arc::new(
        setup
            .cursors
            .iter()
            .map(|c| c.as_deref().map(|id| URL_SAFE_NO_PAD.encode(id.as_bytes())))
            .collect(),
    );
    for &(name, what, programme, years, from_start) in REGISTER_SHAPES {
        let mut query: Vec<(&'static str, String)> = vec![("limit", "50".into())];
        if !programme.is_empty() {
            query.push(("programme", programme.into()));
        }
        if let Some(years) = years {
            let date = today
                .checked_add_signed(chrono::Duration::days(i64::from(years) * 365))
                .context("a date in range")?;
            query.push(("qualified_on", date.to_string()));
        }
        let (base, key, cursors) = (base.clone(), setup.api_key.clone(), cursors.clone());
        let make: MakeRequest = Arc::new(move |client: &reqwest::Client, n| {
            let mut request = client
                .get(format!("{base}/v1/register/peer-supporters"))
                .header("X-Api-Key", &key)
                .query(&query);
            if !from_start {
                if let Some(cursor) = &cursors[(mix(n) % cursors.len() as u64) as usize] {
                    request = request.query(&[("cursor", cursor)]);
                }
            }
            request
        });
        rows.push((name, format!("GET {what}"), make));
    }
    let make_person: MakeRequest = {
        let base = base.clone();
        let key = setup.api_key.clone();
        let sharers = Arc::new(setup.sharers.clone());
        Arc::new(move |client: &reqwest::Client, n| {
            let person_id = &sharers[(mix(n) % sharers.len() as u64) as usize];
            client
                .get(format!("{base}/v1/register/peer-supporters/{person_id}"))
                .header("X-Api-Key", &key)
        })
    };
    rows.push(("person", "GET register, one person".into(), make_person));
    // Each row above starts with nothing left to spread (the previous row's look-ups are
    // spread before it starts); this one shows what a partner reading without a pause meets
    // once the look-ups waiting pass the writer's threshold and it spreads them under load.
    if let Some((_, _, page)) = rows.iter().find(|row| row.0 == "page") {
        let page = page.clone();
        rows.push((
            "page-sustained",
            format!(
                "GET register page of 50, cursors, {} s without a pause",
                options.seconds * u64::from(SUSTAINED)
            ),
            page,
        ));
    }
    let make_register_put: MakeRequest = {
        let base = base.clone();
        let registers = Arc::new(setup.registers.clone());
        Arc::new(move |client: &reqwest::Client, n| {
            let register = &registers[(n % registers.len() as u64) as usize];
            let records: Vec<Value> = register
                .learners
                .iter()
                .enumerate()
                .map(|(i, person_id)| {
                    let status = match mix(n.wrapping_mul(31).wrapping_add(i as u64)) % 100 {
                        0..=84 => "present",
                        85..=90 => "late",
                        91..=95 => "absent",
                        _ => "excused",
                    };
                    json!({ "person_id": person_id, "status": status })
                })
                .collect();
            client
                .put(format!("{base}/v1/sessions/{}/attendance", register.session_id))
                .bearer_auth(&register.token)
                .json(&json!({ "records": records }))
        })
    };
    rows.push((
        "put",
        "PUT register, 12 learners (tutor)".into(),
        make_register_put,
    ));
    let make_progress: MakeRequest = {
        let base = base.clone();
        let cohorts = Arc::new(setup.cohorts.clone());
        Arc::new(move |client: &reqwest::Client, n| {
            let cohort = &cohorts[(mix(n) % cohorts.len() as u64) as usize];
            client
                .get(format!("{base}/v1/cohorts/{}/progress", cohort.cohort_id))
                .bearer_auth(&cohort.token)
        })
    };
    rows.push(("progress", "GET cohort progress (tutor)".into(), make_progress));

    let mut measured = Vec::new();
    let measure_row = |name: &'static str, what: String, make: MakeRequest| {
        let (client, server, watcher) = (&client, &server, watcher.clone());
        let seconds = if name == "page-sustained" {
            seconds * SUSTAINED
        } else {
            seconds
        };
        async move {
            eprintln!("measuring {what} for {} s...", seconds.as_secs());
            measure(
                name,
                &what,
                client,
                options.connections,
                Duration::from_secs(1),
                make.clone(),
            )
            .await;
            server.reset_peak_rss();
            let mut row = measure(name, &what, client, options.connections, seconds, make).await;
            row.peak_rss_mib = server.peak_rss_kib().map(|kib| kib as f64 / 1024.0);
            // The next row starts with nothing of this one's left to spread.
            let spreading = tokio::task::spawn_blocking(move || spread_or_drop(&watcher, SPREAD_WAIT));
            row.spread_after = Some(spreading.await??).filter(|s| s.waiting > 0);
            anyhow::Ok(row)
        }
    };
    measured.push(
        measure_row(
            "health",
            "GET /health (the ceiling), first".into(),
            make_health.clone(),
        )
        .await?,
    );
    for (name, what, make) in rows {
        if options.wants(name) {
            measured.push(measure_row(name, what, make).await?);
        }
    }
    measured.push(measure_row("health", "GET /health (the ceiling), last".into(), make_health).await?);
    server.stop();

    report(options, backend, cores, demo_time, &setup, &measured);
    Ok(())
}

fn report(
    options: &Options,
    backend: &str,
    cores: usize,
    demo_time: Option<Duration>,
    setup: &Setup,
    rows: &[Measured],
) {
    let healths: Vec<f64> = rows
        .iter()
        .filter(|r| r.name == "health")
        .map(Measured::per_second)
        .collect();
    let health = healths.iter().sum::<f64>() / healths.len().max(1) as f64;
    let sqlite = backend == "SQLite";
    println!();
    println!(
        "Peertrack load benchmark: {} people, {backend}, {} connections, {} s per row, {cores} cores, load average {} at the end",
        options.people,
        options.connections,
        options.seconds,
        load_average()
    );
    println!();
    println!(
        "| measurement | requests/s | % of /health | p50 ms | p99 ms | errors | peak RSS MiB | answers left to spread; spread | target |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |");
    let verdict = |ok: bool| if ok { "met" } else { "NOT MET" };
    for row in rows {
        let share = row.per_second() / health.max(1e-9) * 100.0;
        let register = is_register_row(row.name);
        let target = if register {
            // SQLite: >= 25% of /health and p99 <= 25 ms; PostgreSQL: >= 25% of its /health.
            let ok = share >= 25.0 && row.errors == 0 && (!sqlite || row.percentile_ms(99.0) <= 25.0);
            verdict(ok).to_string()
        } else if row.name == "put" {
            verdict(row.per_second() >= 1000.0 && row.errors == 0).to_string()
        } else {
            String::new()
        };
        println!(
            "| {} | {:.0} | {share:.0}% | {:.2} | {:.2} | {} | {} | {} | {target} |",
            row.what,
            row.per_second(),
            row.percentile_ms(50.0),
            row.percentile_ms(99.0),
            row.errors,
            row.peak_rss_mib.map_or("?".into(), |m| format!("{m:.0}")),
            row.spread_after
                .map_or(String::new(), |s| if s.spread == s.waiting {
                    format!("{}; all in {:.1} s", s.waiting, s.took.as_secs_f64())
                } else {
                    format!(
                        "{}; {:.0}/s for {:.0} s",
                        s.waiting,
                        s.spread as f64 / s.took.as_secs_f64(),
                        s.took.as_secs_f64()
                    )
                }),
        );
    }
    if let Some(pages) = &setup.pages_in_process {
        // On PostgreSQL most of a page's work is in the database's own processes, which this
        // process's CPU time does not count.
        let cpu = if sqlite {
            format!(", {:.0} µs CPU a page", pages.cpu_per_page.as_secs_f64() * 1e6)
        } else {
            String::new()
        };
        println!(
            "| register page of 50, in process: the statements alone, no HTTP ({} threads{cpu}) | {:.0} | | | | | | | |",
            pages.workers,
            pages.per_second()
        );
    }
    if let Some((eligibility, time)) = &setup.eligibility {
        println!(
            "| eligibility, whole register ({} enrolments, {} eligible) | {:.2} s | | | | | | | {} |",
            eligibility.enrolments,
            eligibility.eligible,
            time.as_secs_f64(),
            verdict(*time <= Duration::from_secs(2))
        );
    }
    let peak = rows.iter().filter_map(|r| r.peak_rss_mib).fold(0.0_f64, f64::max);
    println!(
        "| server peak resident memory, any row | {peak:.0} MiB | | | | | | | {} |",
        verdict(peak <= 128.0)
    );
    println!(
        "| `peertrack demo --people {}` | {} | | | | | | | |",
        options.people,
        demo_time.map_or("(reused)".into(), |t| format!("{:.1} s", t.as_secs_f64()))
    );
    for row in rows.iter().filter(|r| r.first_error.is_some()) {
        println!(
            "\nfirst error in {}: {}",
            row.what,
            row.first_error.as_deref().unwrap_or_default()
        );
    }
    println!();
    println!(
        "Targets: each register shape >= 25% of /health (the mean of the first and last /health rows){}; peak resident memory <= 128 MiB.",
        if sqlite { " and p99 <= 25 ms" } else { "" }
    );
}
