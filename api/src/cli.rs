//! The `peertrack` command: serve, migrate, print the spec, and administration.
//!
//! Commands that print a secret or an id print it alone on stdout, so scripts can capture it;
//! logs go to stderr.

use std::sync::Arc;

use clap::{Parser, Subcommand};
use peertrack_core::access::Caller;
use peertrack_core::credential::KeyRing;
use peertrack_core::domain::{Clock, SystemClock};
use peertrack_core::seed;
use peertrack_core::service::{organisations, people, programmes, sign_in};
use peertrack_core::store::{self, Database, PoolOptions};
use peertrack_core::worker::transport::MailTransport;
use peertrack_core::worker::{DeliveryWorker, WorkerSettings};

use crate::config::{self, Config};
use crate::server::{self, AppState};

/// Peertrack: peer support training and certification records.
#[derive(Debug, Parser)]
#[command(name = "peertrack", version, about)]
pub struct Cli {
    /// What to do; `serve` when left out.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply migrations, seed the programmes, and serve the API with the email worker (the
    /// default).
    Serve,
    /// Run only the email worker: deliver queued emails and queue the time-based ones (session
    /// reminders, expiry notices), until stopped. Several may run on PostgreSQL.
    Worker,
    /// Apply pending database migrations, then stop.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// Administration: people, tokens, organisations, API keys.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Fill the database with a realistic demo data set; prints the partner organisation's id
    /// last on stdout.
    Demo(crate::demo_command::DemoArgs),
    /// Write a consistent copy of the database to PATH while the service runs (SQLite: checked
    /// with integrity_check; PostgreSQL: pg_dump, custom format). Never overwrites a file.
    Backup {
        /// Where to write the backup; nothing may be there yet.
        path: std::path::PathBuf,
    },
}

/// Administration commands.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Make a person an administrator (adding them if new); prints their id.
    AddAdmin {
        /// Their email address.
        #[arg(long)]
        email: String,
        /// Their name.
        #[arg(long)]
        name: String,
    },
    /// Print a new bearer token for a person, alone on stdout.
    Token {
        /// Their email address.
        #[arg(long)]
        email: String,
        /// Days until it expires.
        #[arg(long, default_value_t = sign_in::DEFAULT_TOKEN_DAYS, value_parser = clap::value_parser!(i64).range(1..=365))]
        days: i64,
    },
    /// Revoke every token of a person.
    RevokeToken {
        /// Their email address.
        #[arg(long)]
        email: String,
    },
    /// Revoke a partner organisation's API key; the next request made with it is refused.
    RevokeApiKey {
        /// The key's id (`GET /v1/organisations/{id}/api-keys` lists them).
        #[arg(long)]
        id: String,
    },
    /// Start signing credentials with a new key; prints its id. Old keys stay published, so
    /// credentials they signed still verify. Restart the service to use the new key.
    RotateKey,
    /// Add an organisation; prints its id, alone.
    AddOrganisation {
        /// Its name.
        #[arg(long)]
        name: String,
    },
    /// Publish a programme from a TOML file shaped like `core/programmes/p2p.toml`: a new
    /// programme, or a new version of one (raise its `version`). Prints the code and version.
    PublishProgramme {
        /// The programme file.
        file: std::path::PathBuf,
    },
    /// Print a new API key for a partner organisation, alone. It is shown only this once.
    ApiKey {
        /// The organisation's id.
        #[arg(long)]
        organisation: String,
        /// A name for the key, e.g. "HR system".
        #[arg(long)]
        name: String,
    },
}

/// A command failed; the message is one plain line.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CliError(pub String);

impl From<config::ConfigError> for CliError {
    fn from(error: config::ConfigError) -> Self {
        CliError(error.to_string())
    }
}

impl From<peertrack_core::Error> for CliError {
    fn from(error: peertrack_core::Error) -> Self {
        CliError(error.to_string())
    }
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Openapi => {
            println!("{}", server::openapi_json());
            Ok(())
        }
        Command::Serve => serve(Config::from_env()?).await,
        Command::Worker => worker(Config::from_env()?).await,
        Command::Migrate => {
            let config = Config::from_env()?;
            open_database(&config).await?;
            tracing::info!(database = %config.database.redacted(), "migrations applied");
            Ok(())
        }
        Command::Admin(command) => admin(Config::from_env()?, command).await,
        Command::Demo(args) => crate::demo_command::run(Config::from_env()?, args).await,
        Command::Backup { path } => backup(Config::from_env()?, path).await,
    }
}

/// `peertrack backup PATH`: a consistent copy of the configured database; prints where it went
/// and what it holds.
async fn backup(config: Config, path: std::path::PathBuf) -> Result<(), CliError> {
    let database = config.database.clone();
    let made = tokio::task::spawn_blocking(move || store::backup::back_up(&database, &path))
        .await
        .map_err(|e| CliError(e.to_string()))?;
    let report = made.map_err(|e| CliError(format!("backup: {e}")))?;
    println!("{report}");
    Ok(())
}

/// Opens (and migrates) the configured database; errors name `PEERTRACK_DATABASE_URL`.
pub async fn open_database(config: &Config) -> Result<Database, CliError> {
    let url = config.database.clone();
    let opened = tokio::task::spawn_blocking(move || Database::open(&url, PoolOptions::default()))
        .await
        .map_err(|e| CliError(e.to_string()))?;
    opened.map_err(|e| {
        CliError(format!(
            "{}: cannot use {}: {e}",
            config::DATABASE_URL,
            config.database.redacted()
        ))
    })
}

async fn serve(config: Config) -> Result<(), CliError> {
    crate::metrics::install();
    let db = open_database(&config).await?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let now = store::stored(clock.now());
    let seeded = db
        .write_async(move |conn| seed::seed_programmes(conn, now))
        .await?;
    for (code, outcome) in seeded {
        tracing::info!(programme = %code, ?outcome, "programme seeded");
    }
    let (acceptor, address) = server::bind(config.listen).await.map_err(|e| {
        CliError(format!(
            "{}: cannot listen on {}: {e}",
            config::LISTEN,
            config.listen
        ))
    })?;
    tracing::info!(
        "Peertrack is listening on http://{address} (database: {}); docs at http://{address}/docs",
        config.database.redacted()
    );
    let keys = open_keys(&config)?;
    let email_worker = email_worker(&config, db.clone(), clock.clone())?;
    let stop_worker = email_worker.stop_handle();
    let worker_task = tokio::spawn(email_worker.run());
    let db_at_exit = db.clone();
    let limits = Arc::new(server::Limits::for_database(&db));
    let state = AppState {
        db,
        clock,
        keys: Arc::new(keys),
        limits,
        config: Arc::new(config),
    };
    let private_metrics = match state.config.metrics_listen {
        Some(listen) => {
            let (metrics_acceptor, address) = server::bind(listen).await.map_err(|e| {
                CliError(format!(
                    "{}: cannot listen on {listen}: {e}",
                    config::METRICS_LISTEN
                ))
            })?;
            tracing::info!("metrics at http://{address}/metrics");
            let app = crate::metrics::private_app(state.clone());
            Some(tokio::spawn(async move {
                poem::Server::new_with_acceptor(metrics_acceptor).run(app).await
            }))
        }
        None => None,
    };
    let shutdown = {
        let stop_worker = stop_worker.clone();
        async move {
            shutdown_signal().await;
            stop_worker.stop();
        }
    };
    let served = server::run(acceptor, state, shutdown).await;
    if let Some(task) = private_metrics {
        task.abort();
    }
    stop_worker.stop();
    finish_worker(worker_task).await;
    // Let the access log's thread finish its statement, so none runs while the process exits.
    let _ = tokio::task::spawn_blocking(move || db_at_exit.stop_background_writes()).await;
    served.map_err(|e| CliError(format!("the server stopped: {e}")))
}

/// `peertrack worker`: only the email worker, until Ctrl-C or SIGTERM.
async fn worker(config: Config) -> Result<(), CliError> {
    let db = open_database(&config).await?;
    let email_worker = email_worker(&config, db, Arc::new(SystemClock))?;
    let stop = email_worker.stop_handle();
    let task = tokio::spawn(email_worker.run());
    shutdown_signal().await;
    stop.stop();
    finish_worker(task).await;
    Ok(())
}

/// Waits for the worker to finish the email it is sending (at most the SMTP timeout and a
/// little more); its other claims were handed back.
async fn finish_worker(task: tokio::task::JoinHandle<()>) {
    let grace = peertrack_core::worker::transport::SMTP_TIMEOUT + std::time::Duration::from_secs(5);
    if tokio::time::timeout(grace, task).await.is_err() {
        tracing::warn!("the email worker did not stop in time; its claims run out and are retried");
    }
}

/// The email worker as configured: SMTP from `PEERTRACK_SMTP_URL`, or `.eml` files in
/// `PEERTRACK_MAIL_DIR`.
pub fn email_worker(
    config: &Config,
    db: Database,
    clock: Arc<dyn Clock>,
) -> Result<DeliveryWorker, CliError> {
    let transport = MailTransport::new(config.smtp_url.as_deref(), &config.mail_dir)
        .map_err(|e| CliError(format!("{}: {e}", config::SMTP_URL)))?;
    let mut settings = WorkerSettings::new(config.mail_from.clone(), config.public_url.clone());
    settings.webhook_destinations = config.webhook_destinations;
    DeliveryWorker::new(db, transport, clock, settings)
        .map_err(|e| CliError(format!("{}: {e}", config::MAIL_FROM)))
}

/// Opens the signing keys, creating the first one on first start.
pub fn open_keys(config: &Config) -> Result<KeyRing, CliError> {
    KeyRing::open_or_create(&config.key_dir).map_err(|e| {
        CliError(format!(
            "{}: cannot use the signing keys in {}: {e}",
            config::KEY_DIR,
            config.key_dir.display()
        ))
    })
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

async fn admin(config: Config, command: AdminCommand) -> Result<(), CliError> {
    if let AdminCommand::RotateKey = command {
        let mut keys = open_keys(&config)?;
        let kid = keys
            .rotate()
            .map_err(|e| CliError(format!("{}: {e}", config::KEY_DIR)))?;
        println!("{kid}");
        return Ok(());
    }
    if let AdminCommand::PublishProgramme { file } = &command {
        let text = std::fs::read_to_string(file)
            .map_err(|e| CliError(format!("{}: cannot be read: {e}", file.display())))?;
        let db = open_database(&config).await?;
        let now = SystemClock.now();
        let published = db
            .write_async(move |conn| programmes::publish_toml(conn, &Caller::Operator, &text, now))
            .await;
        let (version, _) = published.map_err(|error| match error {
            // Fields as the file names them: `rule.min_attendance_percent`.
            peertrack_core::Error::Invalid(errors) => CliError(format!(
                "{}: {}",
                file.display(),
                errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; ")
            )),
            other => other.into(),
        })?;
        println!(
            "{} version {} published",
            version.definition.code, version.definition.version
        );
        return Ok(());
    }
    let db = open_database(&config).await?;
    let now = SystemClock.now();
    let operator = Caller::Operator;
    let output = db
        .write_async(move |conn| -> peertrack_core::Result<String> {
            match command {
                AdminCommand::AddAdmin { email, name } => {
                    people::make_admin(conn, &operator, &email, &name, now)
                }
                AdminCommand::Token { email, days } => {
                    sign_in::issue_token(conn, &operator, &email, days, now)
                }
                AdminCommand::RevokeToken { email } => sign_in::revoke_tokens(conn, &operator, &email, now)
                    .map(|count| format!("{count} token(s) revoked")),
                AdminCommand::RevokeApiKey { id } => {
                    organisations::revoke_api_key(conn, &operator, None, &id, now)
                        .map(|key| format!("API key {:?} revoked", key.name))
                }
                AdminCommand::RotateKey | AdminCommand::PublishProgramme { .. } => {
                    unreachable!("handled before")
                }
                AdminCommand::AddOrganisation { name } => {
                    organisations::create(conn, &operator, &name, now).map(|o| o.id)
                }
                AdminCommand::ApiKey { organisation, name } => {
                    organisations::create_api_key(conn, &operator, &organisation, &name, now)
                        .map(|(secret, _)| secret)
                }
            }
        })
        .await
        .map_err(in_flags)?;
    println!("{output}");
    Ok(())
}

/// Core's errors in the words of the command line: fields become the flags that set them.
fn in_flags(error: peertrack_core::Error) -> CliError {
    use peertrack_core::Error as E;
    let flag = |field: &str| match field {
        "organisation_id" => "--organisation".to_string(),
        other => format!("--{other}"),
    };
    match error {
        E::Invalid(errors) => CliError(
            errors
                .iter()
                .map(|e| format!("{}: {}", flag(&e.field), e.message))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        E::NotFound("organisation") => CliError("--organisation: no organisation has that id".into()),
        E::NotFound("API key") => CliError("--id: no API key has that id".into()),
        other => other.into(),
    }
}
