//! `peertrack demo --people N`: fills the configured database with a realistic synthetic data
//! set, for exploring the service and for measuring it at scale. The summary goes to stderr;
//! the partner organisation's id is the last line on stdout, for scripts.

use std::time::Instant;

use chrono::NaiveDate;
use peertrack_core::demo::{self, DemoOptions, DemoSummary};
use peertrack_core::domain::{Clock, SystemClock};

use crate::cli::{open_database, CliError};
use crate::config::Config;

/// The options of `peertrack demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// How many peer workers (learners) to create; tutors, supervisors and an administrator
    /// come on top.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    pub people: u32,
    /// The same seed (on the same day) gives the same data set.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The day to build the data set around, e.g. 2027-03-01 (default: today).
    #[arg(long)]
    pub today: Option<NaiveDate>,
}

/// Runs `peertrack demo`.
pub async fn run(config: Config, args: DemoArgs) -> Result<(), CliError> {
    let db = open_database(&config).await?;
    let options = DemoOptions {
        people: args.people,
        seed: args.seed,
        today: args.today.unwrap_or_else(|| SystemClock.now().date_naive()),
    };
    let started = Instant::now();
    let summary = tokio::task::spawn_blocking(move || demo::generate(&db, &options))
        .await
        .map_err(|e| CliError(format!("the demo generator stopped: {e}")))??;
    eprintln!(
        "{}",
        describe(
            &summary,
            &options,
            started.elapsed().as_secs_f64(),
            &config.database.redacted()
        )
    );
    println!("{}", summary.partner_organisation_id);
    Ok(())
}

fn describe(summary: &DemoSummary, options: &DemoOptions, seconds: f64, database: &str) -> String {
    let rows = [
        ("organisations", summary.organisations),
        ("peer workers (learners)", summary.learners),
        ("tutors, supervisors, admin", summary.staff),
        ("cohorts", summary.cohorts),
        ("sessions", summary.sessions),
        ("attendance marks", summary.attendance_marks),
        ("assessments", summary.assessments),
        ("placements", summary.placements),
        ("supervision sessions", summary.supervision_sessions),
        ("practice entries", summary.practice_entries),
        ("certificates", summary.certificates),
        ("  of which expired", summary.expired_certificates),
        ("  of which revoked", summary.revoked_certificates),
        ("sharing with the partner", summary.consents),
        ("access-log entries", summary.access_log_entries),
    ];
    let mut text = format!(
        "Demo data for {} peer workers (seed {}, around {}) in {database}, in {seconds:.1} s:\n",
        options.people, options.seed, options.today
    );
    for (what, count) in rows {
        text.push_str(&format!("  {what:<28}{count:>10}\n"));
    }
    text.push_str(&format!(
        "Try it (the partner organisation, {}, has the id printed below):\n  \
         peertrack admin token --email {}    # an administrator\n  \
         peertrack admin token --email {}    # a tutor\n  \
         peertrack admin api-key --organisation {} --name \"HR system\"    # the partner's system",
        demo::PARTNER_NAME,
        summary.admin_email,
        summary.tutor_email,
        summary.partner_organisation_id
    ));
    text
}
