//! The page-load benchmark: builds a demo database of N peer workers with `peertrack demo`,
//! starts the release `peertrack` on it on a loopback port, signs peer workers in through the
//! sign-in page (a browser session in a cookie, as a browser gets one), and reads each of their
//! pages with 16 sessions at once, printing requests/s, p50, p99 and the page's weight (HTML,
//! and with its stylesheet and logo) against the targets of issue 16: p99 <= 25 ms, <= 60 KB.
//!
//! ```sh
//! cargo run --release -p peertrack-e2e --bin pageload -- --people 100000
//! ```
//!
//! Options: `--people N` (100000), `--seed S` (1), `--seconds S` per page (10), `--sessions C`
//! (16: concurrent signed-in browsers, one request at a time each), `--database URL` (default:
//! a new SQLite file in a temporary folder; a PostgreSQL URL must name an empty database or one
//! that already holds the demo data), `--binary PATH` (default: build and use
//! target/release/peertrack), `--keep` (keep the temporary folder), `--only /me/progress,...`.
//!
//! Every request goes to 127.0.0.1; the server is stopped at the end.
//!
//! Then a tutor's register (issue 17: p99 <= 25 ms at 100,000 people under 16 tutors): as many
//! tutors as `--sessions`, each on a held session of a cohort of their own, read the register
//! page (`GET /sessions/{id}/register`) and save it (`POST /sessions/{id}/register`); see
//! `pageload/tutors.rs`. `--only` takes those two shapes' names too. And two pages every
//! supervisor or tutor opens at one address: `/supervision` (supervisors with sessions waiting
//! for them, those with the most first) and `/cohorts` (the same tutors); see `pageload/staff.rs`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use chrono::Utc;
use diesel::prelude::*;
use peertrack_core::store::schema::{certificates, enrolments, placements};
use peertrack_core::store::tokens::{self, TokenPurpose};
use peertrack_core::store::{self, Database, DatabaseUrl, PoolOptions};
use peertrack_e2e::bench::{has_demo_data, load_average, peertrack_binary, wait_for_outbox};

#[path = "pageload/staff.rs"]
mod staff;
#[path = "pageload/tutors.rs"]
mod tutors;

/// The pages measured: a peer worker's home and every page under `/me/`.
const PAGES: &[&str] = &[
    "/home",
    "/me/progress",
    "/me/certificates",
    "/me/sharing",
    "/me/access-log",
    "/me/supervision",
    "/me/data",
    "/me/cpd",
];

/// Issue 16's targets.
const P99_TARGET_MS: f64 = 25.0;
const WEIGHT_TARGET_BYTES: usize = 60 * 1024;

#[derive(Debug)]
struct Options {
    people: u32,
    seed: u64,
    seconds: u64,
    sessions: usize,
    database: Option<String>,
    binary: Option<PathBuf>,
    keep: bool,
    only: Option<Vec<String>>,
}

const HELP: &str = "pageload [--people N] [--seed S] [--seconds S] [--sessions C] \
[--database URL] [--binary PATH] [--keep] [--only /me/progress,/home]";

fn options() -> Result<Options> {
    let mut options = Options {
        people: 100_000,
        seed: 1,
        seconds: 10,
        sessions: 16,
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
            "--sessions" => options.sessions = value()?.parse().context("--sessions")?,
            "--database" => options.database = Some(value()?),
            "--binary" => options.binary = Some(PathBuf::from(value()?)),
            "--keep" => options.keep = true,
            "--only" => options.only = Some(value()?.split(',').map(str::to_string).collect()),
            "--help" | "-h" => {
                println!("{HELP}");
                std::process::exit(0);
            }
            other => bail!("unknown option {other}; see --help"),
        }
    }
    if options.seconds == 0 || options.seconds > 600 || options.sessions == 0 || options.sessions > 256 {
        bail!("--seconds must be 1 to 600 and --sessions 1 to 256");
    }
    Ok(options)
}

/// One page measured.
struct Measured {
    path: String,
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies_us: Vec<u32>,
    /// The smallest and largest HTML answers seen (pages differ by person).
    bytes: (usize, usize),
    first_error: Option<String>,
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

/// Reads `path` with one loop per session, each sending one request at a time, for `duration`.
async fn measure(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    cookies: &[String],
    duration: Duration,
) -> Measured {
    let url = Arc::new(format!("{base}{path}"));
    let started = Instant::now();
    let deadline = started + duration;
    let mut loops = tokio::task::JoinSet::new();
    for cookie in cookies {
        let (client, url, cookie) = (client.clone(), url.clone(), cookie.clone());
        loops.spawn(async move {
            let mut latencies = Vec::with_capacity(4096);
            let (mut errors, mut first_error) = (0, None);
            let (mut smallest, mut largest) = (usize::MAX, 0);
            while Instant::now() < deadline {
                let sent = Instant::now();
                let outcome = match client.get(url.as_str()).header("cookie", &cookie).send().await {
                    Ok(response) => {
                        let status = response.status();
                        match response.bytes().await {
                            Ok(body) if status.is_success() => Ok(body.len()),
                            Ok(body) => Err(format!("{status}: {}", String::from_utf8_lossy(&body))),
                            Err(e) => Err(e.to_string()),
                        }
                    }
                    Err(e) => Err(e.to_string()),
                };
                latencies.push(u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX));
                match outcome {
                    Ok(size) => {
                        smallest = smallest.min(size);
                        largest = largest.max(size);
                    }
                    Err(error) => {
                        errors += 1;
                        first_error.get_or_insert(error);
                    }
                }
            }
            (latencies, errors, first_error, smallest, largest)
        });
    }
    let mut measured = Measured {
        path: path.to_string(),
        requests: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies_us: Vec::new(),
        bytes: (usize::MAX, 0),
        first_error: None,
    };
    while let Some(done) = loops.join_next().await {
        let (latencies, errors, first_error, smallest, largest) = done.expect("a request loop");
        measured.requests += latencies.len();
        measured.latencies_us.extend(latencies);
        measured.errors += errors;
        measured.bytes = (measured.bytes.0.min(smallest), measured.bytes.1.max(largest));
        if measured.first_error.is_none() {
            measured.first_error = first_error;
        }
    }
    measured.elapsed = started.elapsed();
    measured.latencies_us.sort_unstable();
    measured
}

/// Chooses `count` peer workers with the most to show (a certificate, a placement), and makes
/// each a one-time sign-in token, as the emailed link carries.
fn sign_in_tokens(url: &DatabaseUrl, count: usize) -> Result<Vec<String>> {
    let db = Database::open(url, PoolOptions::default())?;
    let now = store::stored(Utc::now());
    db.write(|conn| {
        let certified: Vec<String> = certificates::table
            .filter(certificates::revoked_at.is_null())
            .inner_join(placements::table.on(placements::person_id.eq(certificates::person_id)))
            .select(certificates::person_id)
            .distinct()
            .order(certificates::person_id)
            .limit(count as i64)
            .load(conn)?;
        let mut chosen = certified;
        if chosen.len() < count {
            let more: Vec<String> = enrolments::table
                .select(enrolments::person_id)
                .distinct()
                .order(enrolments::person_id)
                .limit((count * 4) as i64)
                .load(conn)?;
            for person in more {
                if chosen.len() == count {
                    break;
                }
                if !chosen.contains(&person) {
                    chosen.push(person);
                }
            }
        }
        if chosen.len() < count {
            bail_store(format!(
                "only {} peer workers to sign in; use more --people",
                chosen.len()
            ))?;
        }
        chosen
            .iter()
            .map(|person| {
                let expires = now + chrono::Duration::minutes(30);
                Ok(tokens::create_token(conn, person, TokenPurpose::SignIn, expires, now)?.0)
            })
            .collect()
    })
    .map_err(Into::into)
}

fn bail_store(message: String) -> peertrack_core::Result<()> {
    Err(peertrack_core::Error::invalid("people", message))
}

/// The value of a cookie `name` set by `response`.
fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.strip_prefix(&format!("{name}="))
                .map(|rest| rest.split(';').next().unwrap_or("").to_string())
        })
}

/// Signs in with a link token as a browser does: opens the sign-in page (a form cookie and the
/// form's token), presses Sign in (the session cookie). Returns the `Cookie` header to send.
async fn sign_in(client: &reqwest::Client, base: &str, token: &str) -> Result<String> {
    let page = client.get(format!("{base}/sign-in?token={token}")).send().await?;
    let form_cookie = set_cookie(&page, "peertrack_form").context("the sign-in page sets a form cookie")?;
    let html = page.text().await?;
    let csrf = html
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .context("the sign-in page's form token")?;
    let answer = client
        .post(format!("{base}/sign-in"))
        .header("cookie", format!("peertrack_form={form_cookie}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={csrf}&token={token}"))
        .send()
        .await?;
    if answer.status() != reqwest::StatusCode::SEE_OTHER {
        bail!("signing in answered {}", answer.status());
    }
    let session = set_cookie(&answer, "peertrack_session").context("a session cookie")?;
    Ok(format!("peertrack_session={session}"))
}

/// The sizes of the stylesheet and logo a page links to (every page links the same two).
async fn asset_bytes(client: &reqwest::Client, base: &str, html: &str) -> Result<usize> {
    let mut total = 0;
    for marker in ["rel=\"stylesheet\" href=\"", "rel=\"icon\" href=\""] {
        if let Some(path) = html.split(marker).nth(1).and_then(|rest| rest.split('"').next()) {
            total += client
                .get(format!("{base}{path}"))
                .send()
                .await?
                .error_for_status()?
                .bytes()
                .await?
                .len();
        }
    }
    Ok(total)
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
            .env("PEERTRACK_PUBLIC_URL", format!("http://127.0.0.1:{port}"))
            .env("PEERTRACK_KEY_DIR", folder.join("keys"))
            .env("PEERTRACK_MAIL_DIR", folder.join("mail"))
            .env_remove("PEERTRACK_SMTP_URL")
            .env(
                "RUST_LOG",
                std::env::var("PAGELOAD_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
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

    fn stop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
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
    let folder = tempfile::Builder::new().prefix("peertrack-pageload-").tempdir()?;
    let outcome = run(&options, &binary, folder.path()).await;
    if outcome.is_err() {
        let log = std::fs::read_to_string(folder.path().join("server.log")).unwrap_or_default();
        for line in log.lines().rev().take(20).collect::<Vec<_>>().into_iter().rev() {
            eprintln!("server: {line}");
        }
    }
    if options.keep {
        eprintln!("kept {}", folder.keep().display());
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
    eprintln!("load average at start: {}", load_average());
    let demo_check = url.clone();
    if tokio::task::spawn_blocking(move || has_demo_data(&demo_check)).await?? {
        eprintln!("the database already holds the demo data; using it as it is");
    } else {
        eprintln!(
            "peertrack demo --people {} --seed {}...",
            options.people, options.seed
        );
        let status = Command::new(binary)
            .args([
                "demo",
                "--people",
                &options.people.to_string(),
                "--seed",
                &options.seed.to_string(),
            ])
            .env("PEERTRACK_DATABASE_URL", &database)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .status()
            .context("running peertrack demo")?;
        if !status.success() {
            bail!("peertrack demo failed");
        }
    }
    let token_url = url.clone();
    let sessions = options.sessions;
    let link_tokens = tokio::task::spawn_blocking(move || sign_in_tokens(&token_url, sessions)).await??;
    let wanted = |shape: &str| {
        options
            .only
            .as_ref()
            .is_none_or(|only| only.iter().any(|o| o == shape))
    };
    let tutor_url = url.clone();
    let tutor_tokens = if wanted(tutors::READ) || wanted(tutors::SAVE) || wanted(staff::COHORTS) {
        tokio::task::spawn_blocking(move || tutors::tutor_tokens(&tutor_url, sessions)).await??
    } else {
        Vec::new()
    };

    let supervisor_url = url.clone();
    let supervisor_tokens = if wanted(staff::SUPERVISION) {
        tokio::task::spawn_blocking(move || staff::supervisor_tokens(&supervisor_url, sessions)).await??
    } else {
        Vec::new()
    };

    let mut server = Server::start(binary, &database, folder)?;
    let client = reqwest::Client::builder()
        .no_proxy()
        .tcp_nodelay(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(options.sessions)
        .timeout(Duration::from_secs(30))
        .build()?;
    let up_by = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(response) = client.get(format!("{}/health", server.base)).send().await {
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
    let settle_url = url.clone();
    let settled =
        tokio::task::spawn_blocking(move || wait_for_outbox(&settle_url, Duration::from_secs(120))).await??;
    eprintln!("the email outbox settled in {:.1} s", settled.as_secs_f64());

    let mut cookies = Vec::new();
    for token in &link_tokens {
        cookies.push(sign_in(&client, &server.base, token).await?);
    }
    let home = client
        .get(format!("{}/home", server.base))
        .header("cookie", &cookies[0])
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let assets = asset_bytes(&client, &server.base, &home).await?;

    let seconds = Duration::from_secs(options.seconds);
    let mut rows = Vec::new();
    for path in PAGES {
        if options
            .only
            .as_ref()
            .is_some_and(|only| !only.iter().any(|o| o == path))
        {
            continue;
        }
        eprintln!(
            "measuring GET {path} with {} sessions for {} s...",
            cookies.len(),
            options.seconds
        );
        measure(&client, &server.base, path, &cookies, Duration::from_secs(1)).await;
        rows.push(measure(&client, &server.base, path, &cookies, seconds).await);
    }
    let mut tutor_cookies = Vec::new();
    for (token, session) in &tutor_tokens {
        tutor_cookies.push((sign_in(&client, &server.base, token).await?, session.clone()));
    }
    let mut supervisor_cookies = Vec::new();
    for token in &supervisor_tokens {
        supervisor_cookies.push(sign_in(&client, &server.base, token).await?);
    }
    let tutor_only: Vec<String> = tutor_cookies.iter().map(|(cookie, _)| cookie.clone()).collect();
    for (path, people, who) in [
        (staff::SUPERVISION, &supervisor_cookies, "supervisors"),
        (staff::COHORTS, &tutor_only, "tutors"),
    ] {
        if people.is_empty() || !wanted(path) {
            continue;
        }
        eprintln!(
            "measuring GET {path} with {} {who} for {} s...",
            people.len(),
            options.seconds
        );
        measure(&client, &server.base, path, people, Duration::from_secs(1)).await;
        rows.push(measure(&client, &server.base, path, people, seconds).await);
    }
    for (shape, save) in [(tutors::READ, false), (tutors::SAVE, true)] {
        if tutor_cookies.is_empty() || !wanted(shape) {
            continue;
        }
        eprintln!(
            "measuring {shape} with {} tutors for {} s...",
            tutor_cookies.len(),
            options.seconds
        );
        tutors::measure(
            &client,
            &server.base,
            &tutor_cookies,
            Duration::from_secs(1),
            save,
        )
        .await;
        rows.push(tutors::measure(&client, &server.base, &tutor_cookies, seconds, save).await);
    }
    server.stop();
    report(options, backend, assets, &rows);
    Ok(())
}

fn report(options: &Options, backend: &str, assets: usize, rows: &[Measured]) {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!();
    println!(
        "Peertrack page-load benchmark: {} people, {backend}, {} signed-in sessions, {} s per page, {cores} cores, load average {} at the end",
        options.people,
        options.sessions,
        options.seconds,
        load_average()
    );
    println!(
        "Stylesheet and logo: {:.1} KB (cached after the first page)",
        assets as f64 / 1024.0
    );
    println!();
    println!("| page | requests/s | p50 ms | p99 ms | HTML KB (smallest-largest) | with CSS and logo KB | errors |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for row in rows {
        let (smallest, largest) = if row.bytes.1 == 0 { (0, 0) } else { row.bytes };
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.1}-{:.1} | {:.1} | {} |",
            row.path,
            row.per_second(),
            row.percentile_ms(50.0),
            row.percentile_ms(99.0),
            smallest as f64 / 1024.0,
            largest as f64 / 1024.0,
            (largest + assets) as f64 / 1024.0,
            row.errors
        );
    }
    for row in rows.iter().filter(|r| r.first_error.is_some()) {
        println!(
            "\nfirst error in {}: {}",
            row.path,
            row.first_error.as_deref().unwrap_or_default()
        );
    }
    let worst_p99 = rows.iter().map(|r| r.percentile_ms(99.0)).fold(0.0, f64::max);
    let heaviest = rows.iter().map(|r| r.bytes.1 + assets).max().unwrap_or(0);
    let errors: usize = rows.iter().map(|r| r.errors).sum();
    let verdict = |ok: bool| if ok { "met" } else { "NOT MET" };
    println!();
    println!("Targets (issue 16):");
    println!(
        "- every page p99 <= {P99_TARGET_MS} ms at {} sessions, no errors: worst p99 {worst_p99:.1} ms, {errors} errors: {}",
        options.sessions,
        verdict(worst_p99 <= P99_TARGET_MS && errors == 0)
    );
    println!(
        "- every page <= 60 KB with its CSS and logo: heaviest {:.1} KB: {}",
        heaviest as f64 / 1024.0,
        verdict(heaviest <= WEIGHT_TARGET_BYTES)
    );
}
