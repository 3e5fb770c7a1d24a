//! The `peertrack` binary.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

/// Libraries that print what goes over the wire (headers, bodies, SMTP conversations, SQL
/// values) at debug or trace level. Whatever `RUST_LOG` asks, they log at most `info`, so a
/// token, an API key or an email's content cannot reach the log by turning logging up.
const WIRE_LIBRARIES: &[&str] = &[
    "diesel",
    "h2",
    "hyper",
    "lettre",
    "poem",
    "reqwest",
    "rustls",
    "tokio_rustls",
];

/// jemalloc rather than glibc's allocator: under the partner register's load glibc gave each
/// busy thread an arena of its own and the server's peak memory grew with them (130-143 MiB
/// at 1,000,000 people; `MALLOC_ARENA_MAX=4` held it to 108 MiB at 14% fewer pages a second),
/// while jemalloc keeps it lower at the same speed (the README's register tables).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let chosen = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "info,poem=warn,{}=warn",
            peertrack_api::server::REQUEST_LOG_TARGET
        ))
    });
    // A second filter that every event must also pass: `RUST_LOG` cannot loosen it.
    let wire_caps = Targets::new()
        .with_default(LevelFilter::TRACE)
        .with_targets(WIRE_LIBRARIES.iter().map(|&library| (library, LevelFilter::INFO)));
    tracing_subscriber::registry()
        .with(wire_caps)
        .with(chosen)
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::stderr().is_terminal()),
        )
        .init();
    let cli = peertrack_api::cli::Cli::parse();
    match peertrack_api::cli::run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Database drivers write multi-line messages; an operator's log wants one line.
            let message: Vec<String> = error.to_string().lines().map(|l| l.trim().to_string()).collect();
            eprintln!("peertrack: {}", message.join(" "));
            ExitCode::FAILURE
        }
    }
}
