//! The `stilla` command line: parse, load the configuration, call the library.
use std::{net::SocketAddr, path::PathBuf};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;
use stilla::{app::App, config::Config, db, demo, tenants};
use tracing_subscriber::EnvFilter;

// glibc's malloc contends between the request threads and SQLite's worker threads;
// mimalloc keeps allocation thread-local.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "stilla",
    version,
    about = "Work phones, subscriptions and quiet-hours staff notices"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Common {
    /// A TOML file layered over the defaults (see config/default.toml).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// `sqlite://PATH?mode=rwc` or `postgres://USER@HOST/DB`.
    #[arg(long, global = true)]
    database: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API (migrations are applied first).
    Serve {
        #[command(flatten)]
        common: Common,
        /// Address to listen on, e.g. 127.0.0.1:8080.
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Check the configuration before a deployment: load it, open the database (and
    /// say which migrations are pending), read the APNs key and the FCM service
    /// account; print the effective settings with secrets redacted. Exits non-zero,
    /// with the reason, on any problem.
    CheckConfig {
        #[command(flatten)]
        common: Common,
    },
    /// Apply the database migrations and exit.
    Migrate {
        #[command(flatten)]
        common: Common,
    },
    /// Create a tenant and its admin token; prints one JSON line.
    Bootstrap {
        #[command(flatten)]
        common: Common,
        /// The tenant's name, e.g. "Region Västerbotten".
        #[arg(long)]
        tenant: String,
    },
    /// Create a tenant filled with made-up units, staff, devices and subscriptions, to
    /// try Stilla or load-test it; prints its id and admin token as one JSON line.
    Demo {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value = "Demoregionen")]
        tenant: String,
        #[arg(long, default_value_t = 100)]
        units: usize,
        #[arg(long, default_value_t = 20_000)]
        employees: usize,
        #[arg(long, default_value_t = 100_000)]
        devices: usize,
    },
}

fn load(common: &Common) -> anyhow::Result<Config> {
    let mut config = Config::load(common.config.as_deref()).context("reading the configuration")?;
    if let Some(url) = &common.database {
        config.database.url = SecretString::from(url.clone());
    }
    Ok(config)
}

fn init_tracing(config: &Config) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&config.log.filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
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
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { common, listen } => {
            let mut config = load(&common)?;
            if let Some(listen) = listen {
                config.listen = listen;
            }
            init_tracing(&config);
            let app = App::build(&config).await?;
            if let Some(created) = &app.bootstrapped {
                println!(
                    "Created tenant \"Default\" ({}). Its admin token, shown only this once:",
                    created.tenant_id
                );
                println!("  {}", created.admin_token);
                println!(
                    "Use it as: curl -H 'Authorization: Bearer {}' http://{}/api/v1/units",
                    created.admin_token,
                    app.local_addr()
                );
            }
            println!("listening on http://{}", app.local_addr());
            app.run(shutdown_signal()).await?;
        }
        Command::CheckConfig { common } => {
            let config = load(&common)?;
            println!("{}", serde_json::to_string_pretty(&config.redacted())?);
            let db = db::connect(config.database_url(), 1)
                .await
                .context("opening the database")?;
            db.ping().await.context("the database does not answer")?;
            let pending = db::pending_migrations(&db)
                .await
                .context("reading the database's migrations")?;
            if pending.is_empty() {
                println!("database: answers, every migration applied");
            } else {
                println!(
                    "database: answers, {} migration(s) to apply at the next start: {}",
                    pending.len(),
                    pending.join(", ")
                );
            }
            config
                .push
                .providers(config.secrets.secret_box())
                .context("reading the push credentials ([push.apns], [push.fcm])")?;
            let configured: Vec<&str> = [
                config.push.apns.as_ref().map(|_| "APNs"),
                config.push.fcm.as_ref().map(|_| "FCM"),
            ]
            .into_iter()
            .flatten()
            .collect();
            if configured.is_empty() {
                println!("push: no provider configured (notices reach inboxes only)");
            } else {
                println!("push: {} credentials read", configured.join(" and "));
            }
            println!("configuration OK");
        }
        Command::Migrate { common } => {
            let config = load(&common)?;
            init_tracing(&config);
            let db = db::connect(config.database_url(), 1).await?;
            db::migrate(&db).await?;
            println!("migrations applied");
        }
        Command::Bootstrap { common, tenant } => {
            let config = load(&common)?;
            init_tracing(&config);
            let db = db::connect(config.database_url(), 2).await?;
            db::migrate(&db).await?;
            let created = tenants::bootstrap_tenant(&db, &tenant).await?;
            println!("{}", serde_json::to_string(&created)?);
        }
        Command::Demo {
            common,
            tenant,
            units,
            employees,
            devices,
        } => {
            let config = load(&common)?;
            init_tracing(&config);
            let db = db::connect(config.database_url(), 2).await?;
            db::migrate(&db).await?;
            let created = tenants::bootstrap_tenant(&db, &tenant).await?;
            let size = demo::DemoSize {
                units: units.max(1),
                employees,
                devices,
            };
            let summary = demo::seed(&db, created.tenant_id, size).await?;
            println!(
                "{}",
                serde_json::json!({"tenant_id": created.tenant_id, "admin_token": created.admin_token, "created": summary})
            );
        }
    }
    Ok(())
}
