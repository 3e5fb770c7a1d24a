//! The `peertrack` binary.

use std::process::ExitCode;

use clap::Parser;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,poem=warn")),
        )
        .with_writer(std::io::stderr)
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
