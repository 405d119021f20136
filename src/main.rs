//! The `teamwork` command: serve the console (default), migrate, create-admin, seed-demo,
//! activity verify.

use std::net::TcpListener;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use diesel::prelude::*;
use teamwork::config::{Config, Settings};
use teamwork::db::Db;
use teamwork::dev_postgres::{ClusterOptions, PostgresCluster};
use teamwork::mail::{Transport, WorkerOptions};
use teamwork::startup::{self, Application};

#[derive(Parser)]
#[command(
    name = "teamwork",
    version,
    about = "A console where organizations manage who can reach their API platform."
)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the console (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Create an account (and optionally an organization it administers); prints a one-time password.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Also create this organization with the account as its Administrator.
        #[arg(long)]
        org: Option<String>,
    },
    /// Create a demo organization full of people, projects, keys, usage and activity;
    /// prints how to sign in.
    SeedDemo {
        /// Generated members, besides one named account per role.
        #[arg(long, default_value_t = 20)]
        members: i32,
        /// Activity log entries.
        #[arg(long, default_value_t = 1000)]
        activity: i32,
        /// Days of hourly usage reports (and the ledger that charges them).
        #[arg(long, default_value_t = 90)]
        days: i32,
    },
    /// The activity log's hash chains.
    Activity {
        #[command(subcommand)]
        command: ActivityCommand,
    },
}

#[derive(Subcommand)]
enum ActivityCommand {
    /// Recompute every organization's chain; exits 1 naming the first broken entry.
    Verify {
        /// Only this organization (its slug).
        #[arg(long)]
        org: Option<String>,
    },
    /// Sign a checkpoint of every chain that grew since its last one (also done hourly).
    Checkpoint,
}

fn main() -> ExitCode {
    if std::env::var("APP_ENV").as_deref() != Ok("production") {
        dotenvy::dotenv().ok();
    }
    let cli = Cli::parse();
    init_tracing(&cli.settings.log_format);
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `LOG_FORMAT=json`: one JSON object per line, with the fields of the request span (its
/// id) on every line logged while serving a request.
fn init_tracing(format: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        "json" => logs.json().with_current_span(true).init(),
        _ => logs.init(),
    }
}

fn run(cli: Cli) -> Result<(), String> {
    let config = Config::from_settings(cli.settings).map_err(|e| e.to_string())?;
    // Kept alive until the end of `run`: dropping it stops the embedded server.
    let (url, _cluster) = database_url(&config)?;
    let db = Db::new(&url, config.db_pool_size);
    actix_web::rt::System::new().block_on(async move {
        let migrated = {
            let db = db.clone();
            actix_web::web::block(move || db.migrate()).await
        };
        let applied = migrated
            .map_err(|e| e.to_string())?
            .map_err(|e| format!("cannot prepare the database: {e}"))?;
        if !applied.is_empty() {
            tracing::info!(count = applied.len(), "applied migrations");
        }
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(config, db).await,
            Command::Migrate => Ok(()),
            Command::CreateAdmin { email, name, org } => {
                teamwork::cli::create_admin(&db, &email, &name, org.as_deref()).await
            }
            Command::SeedDemo {
                members,
                activity,
                days,
            } => {
                let options = teamwork::seed::Options {
                    members,
                    activity,
                    days,
                };
                let text = teamwork::seed::seed_demo(&db, &config.base_url, options).await?;
                print!("{text}");
                Ok(())
            }
            Command::Activity {
                command: ActivityCommand::Verify { org },
            } => teamwork::cli::verify_activity(&db, org.as_deref()).await,
            Command::Activity {
                command: ActivityCommand::Checkpoint,
            } => teamwork::cli::checkpoint_activity(&db, &config).await,
        }
    })
}

async fn serve(config: Config, db: Db) -> Result<(), String> {
    let listener = TcpListener::bind(&config.bind_addr)
        .map_err(|e| format!("cannot listen on {} (BIND_ADDR): {e}", config.bind_addr))?;
    let key = teamwork::session_key::load_or_create(&config).map_err(|e| {
        format!(
            "cannot keep the session key under {}: {e}",
            config.data_dir.display()
        )
    })?;
    let audit_key = teamwork::audit_key::load_or_create(&config)?;
    let transport = Transport::from_config(&config).map_err(|e| e.to_string())?;
    let options = WorkerOptions::from_config(&config).map_err(|e| e.to_string())?;
    let mail = teamwork::mail::worker::spawn(db.clone(), transport, options);
    let sender = teamwork::stream::Sender::for_config(&config)?;
    let streams = teamwork::stream::worker::spawn(db.clone(), sender, Default::default());
    let base_url = config.base_url.clone();
    let retention = config.usage_raw_retention_days;
    let clock = config.clock.clone();
    let app = Application::build(config, listener, db.clone(), key, mail.clone())
        .map_err(|e| e.to_string())?;
    startup::spawn_alert_mail(db.clone(), clock.clone(), base_url.clone(), mail.clone());
    startup::spawn_access_expiry(db.clone(), base_url.clone(), clock);
    startup::spawn_maintenance(db, audit_key, base_url.clone(), retention);
    tracing::info!("Teamwork is running at {base_url}");
    let served = app.run_until_stopped().await;
    // After the last request: the send in flight finishes, unsent claims go back to the queue.
    mail.stop().await;
    streams.stop().await;
    served.map_err(|e| e.to_string())
}

/// `DATABASE_URL`, or the embedded cluster under `DATA_DIR/postgres` with a `teamwork` database.
fn database_url(config: &Config) -> Result<(String, Option<PostgresCluster>), String> {
    if let Some(url) = config.database_url() {
        return Ok((url.to_owned(), None));
    }
    let dir = config.data_dir.join("postgres");
    let cluster = PostgresCluster::start(&dir, ClusterOptions { durable: true })
        .map_err(|e| e.to_string())?;
    let mut conn = PgConnection::establish(&cluster.url("postgres"))
        .map_err(|e| format!("embedded postgres: {e}"))?;
    match diesel::sql_query("CREATE DATABASE teamwork").execute(&mut conn) {
        Ok(_) => tracing::info!("created the teamwork database"),
        Err(e) if e.to_string().contains("already exists") => {}
        Err(e) => return Err(format!("embedded postgres: {e}")),
    }
    Ok((cluster.url("teamwork"), Some(cluster)))
}
