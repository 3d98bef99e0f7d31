//! Builds the application: state, router, listener; and runs it until shutdown.
use std::{future::Future, net::SocketAddr, sync::Arc};

use axum::{Router, extract::FromRef};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::{
    api,
    auth::TokenCache,
    clock::{Clock, SystemClock},
    config::Config,
    db,
    tenants::{self, BootstrappedTenant},
};

/// Cheap handles shared by every request.
#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub tokens: TokenCache,
}

/// A built application: migrated database, bound listener, router.
pub struct App {
    listener: TcpListener,
    router: Router,
    state: AppState,
    /// Set when this start created the Default tenant: its admin token, to print once.
    pub bootstrapped: Option<BootstrappedTenant>,
}

impl App {
    /// Connects, migrates, creates the Default tenant on an empty database, and binds
    /// the listener (port 0 picks a free port: see [`App::local_addr`]).
    pub async fn build(config: &Config) -> anyhow::Result<App> {
        let db = db::connect(config.database_url(), config.database.max_connections).await?;
        db::migrate(&db).await?;
        let bootstrapped = tenants::ensure_default_tenant(&db).await?;
        let state = AppState {
            db,
            clock: Arc::new(SystemClock),
            tokens: TokenCache::default(),
        };
        let listener = TcpListener::bind(config.listen).await?;
        Ok(App {
            listener,
            router: api::router(state.clone()),
            state,
            bootstrapped,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes, then finishes the requests in flight.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
    }
}
