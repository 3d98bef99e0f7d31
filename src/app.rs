//! Builds the application: state, router, listener; and runs it until shutdown.
use std::{future::Future, net::SocketAddr, sync::Arc};

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, FromRef, MatchedPath, Request},
    http::StatusCode,
    response::IntoResponse,
};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::{catch_panic::CatchPanicLayer, trace::TraceLayer};

use crate::{
    api,
    auth::{Authenticator, TokenCache, sessions::SessionPolicy},
    clock::{Clock, SystemClock},
    config::Config,
    db,
    delivery::Dispatcher,
    error::AppError,
    identity::Identity,
    limits::Limits,
    push::Providers,
    reports::{self, cache::ReportCache},
    site::Site,
    tenants::{self, BootstrappedTenant},
    web,
};

/// The handles every request shares, behind one `Arc`: axum clones the state for each
/// request (and once more for each middleware that takes it), and one reference count
/// is cheaper than one per field (measured: issue 17's limits-on inventory run).
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

/// What [`AppState`] holds; handlers take a part of it as `State<part>` through
/// [`FromRef`].
#[derive(Debug)]
pub struct Shared {
    pub db: DatabaseConnection,
    pub clock: Arc<dyn Clock>,
    pub tokens: TokenCache,
    /// Whole-tenant report results, reused until the tenant's data changes.
    pub reports: ReportCache,
    /// Body sizes, time, concurrency and rate limits.
    pub limits: Limits,
    /// The public URL's consequences: cookie security, HSTS.
    pub site: Site,
    /// Console sessions' idle timeout and lifetime.
    pub sessions: SessionPolicy,
    /// Sign-in through each tenant's identity provider, and the key that seals their
    /// client secrets.
    pub identity: Identity,
    /// Nudges this process's dispatcher when a notice makes deliveries due.
    pub due_now: crate::delivery::DueNow,
    /// Tells this process's dispatcher what was cancelled or acknowledged.
    pub stops: crate::delivery::Stops,
    /// The dispatcher's view of each push credential set, for `/readyz`.
    pub push_health: Arc<crate::push::health::ProviderHealth>,
    /// The database, token cache, limits and clock again, as the one handle the
    /// `Caller` extractor takes.
    pub auth: Authenticator,
}

/// The parts handlers take by themselves.
macro_rules! part_of_state {
    ($($field:ident: $ty:ty),* $(,)?) => {$(
        impl FromRef<AppState> for $ty {
            fn from_ref(state: &AppState) -> $ty {
                state.$field.clone()
            }
        }
    )*};
}

part_of_state!(
    db: DatabaseConnection,
    clock: Arc<dyn Clock>,
    tokens: TokenCache,
    reports: ReportCache,
    limits: Limits,
    site: Site,
    sessions: SessionPolicy,
    auth: Authenticator,
    identity: Identity,
    push_health: Arc<crate::push::health::ProviderHealth>,
);

/// A built application: migrated database, bound listener, router, dispatcher.
pub struct App {
    listener: TcpListener,
    router: Router,
    state: AppState,
    dispatcher: Option<Dispatcher>,
    /// The PostgreSQL database whose announced stops this process listens for (none on
    /// SQLite: one process).
    stops_from: Option<secrecy::SecretString>,
    /// The pool the background report refresh reads through: its own, so that it never
    /// holds the connections requests are waiting for.
    refresh_db: DatabaseConnection,
    /// Set when this start created the Default tenant: its admin token, to print once.
    pub bootstrapped: Option<BootstrappedTenant>,
}

impl App {
    /// Connects, migrates, creates the Default tenant on an empty database, and binds
    /// the listener (port 0 picks a free port: see [`App::local_addr`]).
    pub async fn build(config: &Config) -> anyhow::Result<App> {
        let providers = config.push.providers(config.secrets.secret_box())?;
        Self::build_with(config, providers).await
    }

    /// [`App::build`] with the push providers given (tests hand in stand-ins).
    pub async fn build_with(config: &Config, providers: Providers) -> anyhow::Result<App> {
        let db = db::connect(config.database_url(), config.database.max_connections).await?;
        db::migrate(&db).await?;
        let bootstrapped = tenants::ensure_default_tenant(&db).await?;
        let url = config.database_url();
        let refresh_db = if db::is_in_memory(url) {
            // Another pool would open another, empty, in-memory database.
            db.clone()
        } else {
            db::connect(url, 2).await?
        };
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let tokens = TokenCache::default();
        let limits = Limits::new(&config.limits);
        let state = AppState::new(Shared {
            auth: Authenticator::new(db.clone(), tokens.clone(), limits.clone(), clock.clone()),
            db,
            clock,
            tokens,
            reports: ReportCache::default(),
            limits,
            site: Site::from_public_url(&config.public_url)?,
            sessions: config.console.session_policy(),
            identity: Identity::new(config.secrets.secret_box()),
            due_now: crate::delivery::DueNow::default(),
            push_health: providers.health.clone(),
            stops: crate::delivery::Stops::default(),
        });
        let listener = TcpListener::bind(config.listen).await?;
        let stops_from =
            (state.db.get_database_backend() == sea_orm::DbBackend::Postgres).then(|| {
                // Deaf until the listener is in place: claims made before then are
                // checked again right before they are pushed.
                state.stops.lost_hearing();
                config.database.url.clone()
            });
        let dispatcher = config.delivery.enabled.then(|| {
            Dispatcher::new(
                state.db.clone(),
                providers,
                state.clock.clone(),
                config.delivery.clone(),
            )
            .nudged_by(state.due_now.clone())
            .stopped_by(state.stops.clone())
        });
        Ok(App {
            listener,
            router: router(state.clone()),
            state,
            dispatcher,
            stops_from,
            refresh_db,
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

    /// Serves (and dispatches) until `shutdown` completes, then finishes the requests
    /// and the push batch in flight.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let stop = CancellationToken::new();
        let dispatching = self
            .dispatcher
            .map(|d| tokio::spawn(d.run(stop.child_token())));
        let refreshing = tokio::spawn(reports::cache::refresh_ahead(
            self.state.reports.clone(),
            self.refresh_db,
            self.state.clock.clone(),
            stop.child_token(),
        ));
        let hearing = self.stops_from.map(|url| {
            tokio::spawn(crate::delivery::broadcast::listen(
                url,
                self.state.stops.clone(),
                stop.child_token(),
            ))
        });
        let stop_on_shutdown = stop.clone();
        // The peer's address is what failed sign-ins are counted by.
        let served = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            stop_on_shutdown.cancel();
        })
        .await;
        stop.cancel();
        if let Some(dispatching) = dispatching {
            let _ = dispatching.await;
        }
        let _ = refreshing.await;
        if let Some(hearing) = hearing {
            let _ = hearing.await;
        }
        served
    }
}

/// Every route: the API and the console side by side, with the layers they share — from
/// the outside in: each request gets its id, a panic becomes a 500, each request gets a
/// span, common headers, the limits' guard, and security events in the audit trail.
fn router(state: AppState) -> Router {
    api::routes()
        .merge(web::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        // Body sizes are the guard's, per route family, for every extractor alike.
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::security_events::record_security_events,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.limits.clone(),
            crate::limits::guard,
        ))
        .layer(axum::middleware::map_response_with_state(
            state.site.clone(),
            crate::site::common_headers,
        ))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request| {
                let route = request
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("unmatched", MatchedPath::as_str);
                let id = request
                    .extensions()
                    .get::<crate::request_id::RequestId>()
                    .map_or("", |id| id.0.as_str());
                // Fields by Display: the log formats every request's span, and a
                // string's Debug form is escaped one character at a time.
                if route == "/healthz" || route == "/readyz" {
                    tracing::debug_span!("request", method = %request.method(), route = %route, request_id = %id)
                } else {
                    tracing::info_span!("request", method = %request.method(), route = %route, request_id = %id)
                }
            }),
        )
        .layer(CatchPanicLayer::custom(|_| {
            AppError::Internal(anyhow::anyhow!("a request handler panicked")).into_response()
        }))
        // Outermost, so that every answer carries its id, a panic's included.
        .layer(axum::middleware::from_fn(crate::request_id::assign))
        .with_state(state)
}

async fn not_found() -> AppError {
    AppError::NotFound("route")
}

async fn method_not_allowed() -> impl IntoResponse {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(axum::http::header::CONTENT_TYPE, "application/problem+json")],
        Json(serde_json::json!({
            "type": "about:blank",
            "title": "Method Not Allowed",
            "status": 405,
            "detail": "this route does not take that method",
        })),
    )
}
