//! A stand-in for Apple's and Google's push servers at real distance, for the push
//! load run (`benches/push-run.py`): TLS with HTTP/2 (and HTTP/1.1 for OAuth), every
//! answer held back by the configured round trip, nothing checked but counted.
//!
//! ```text
//! cargo bench --bench push_standin -- --port 9400 --apns-port 9402 --control 9401 --ca-out ca.pem
//! ```
//!
//! Google's front ends allow 100 streams a connection (`--port`), Apple's 1,000
//! (`--apns-port`); both ports answer every route.
//!
//! - `POST /token` (Google OAuth) answers an access token;
//! - `POST /v1/projects/{p}/messages:send` (FCM HTTP v1) answers a message name;
//! - `POST /3/device/{token}` (APNs) answers 200 with an `apns-id`;
//!
//! and on the plain-HTTP control port: `GET /count` (pushes seen, the first and last
//! arrival in Unix seconds, and the first arrival of a push whose body carries
//! `MARK-`), `POST /reset`, `POST /delay/{ms}`.
use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    response::IntoResponse,
    routing::{get, post},
};
use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
    service::TowerToHyperService,
};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::json;

#[derive(Default)]
struct Seen {
    pushes: AtomicU64,
    delay_ms: AtomicU64,
    /// First and last arrival, and the first marked one (Unix seconds).
    times: Mutex<(Option<f64>, Option<f64>, Option<f64>)>,
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
}

impl Seen {
    async fn push(&self, body: &[u8]) {
        let at = unix_now();
        let marked = body.windows(5).any(|w| w == b"MARK-");
        {
            let mut times = self.times.lock().unwrap();
            times.0.get_or_insert(at);
            times.1 = Some(at);
            if marked && times.2.is_none() {
                times.2 = Some(at);
            }
        }
        self.pushes.fetch_add(1, Ordering::Relaxed);
        let delay = self.delay_ms.load(Ordering::Relaxed);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay)).await;
        }
    }
}

async fn fcm_send(
    State(seen): State<Arc<Seen>>,
    Path(project): Path<String>,
    body: Bytes,
) -> impl IntoResponse {
    seen.push(&body).await;
    let n = seen.pushes.load(Ordering::Relaxed);
    Json(json!({"name": format!("projects/{project}/messages/{n}")}))
}

async fn apns_send(State(seen): State<Arc<Seen>>, body: Bytes) -> impl IntoResponse {
    seen.push(&body).await;
    ([("apns-id", "00000000-0000-4000-8000-000000000000")], "")
}

async fn token(State(seen): State<Arc<Seen>>) -> impl IntoResponse {
    let delay = seen.delay_ms.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(delay)).await;
    Json(json!({"access_token": "standin", "expires_in": 3600, "token_type": "Bearer"}))
}

async fn count(State(seen): State<Arc<Seen>>) -> impl IntoResponse {
    let times = *seen.times.lock().unwrap();
    Json(
        json!({"pushes": seen.pushes.load(Ordering::Relaxed), "first": times.0,
        "last": times.1, "marked": times.2, "delay_ms": seen.delay_ms.load(Ordering::Relaxed)}),
    )
}

async fn reset(State(seen): State<Arc<Seen>>) -> impl IntoResponse {
    seen.pushes.store(0, Ordering::Relaxed);
    *seen.times.lock().unwrap() = (None, None, None);
    "reset"
}

async fn delay(State(seen): State<Arc<Seen>>, Path(ms): Path<u64>) -> impl IntoResponse {
    seen.delay_ms.store(ms, Ordering::Relaxed);
    "ok"
}

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main]
async fn main() {
    let port: u16 = arg("--port").map_or(9400, |p| p.parse().unwrap());
    let control: u16 = arg("--control").map_or(9401, |p| p.parse().unwrap());
    let ca_out = arg("--ca-out").unwrap_or_else(|| "standin-ca.pem".to_owned());
    let seen = Arc::new(Seen::default());
    seen.delay_ms.store(
        arg("--delay-ms").map_or(0, |d| d.parse().unwrap()),
        Ordering::Relaxed,
    );

    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "Stilla push stand-in CA");
    let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .unwrap()
        .signed_by(&key, &ca)
        .unwrap();
    std::fs::write(&ca_out, ca.pem()).unwrap();
    let mut tls = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der().clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
    .unwrap();
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(tls));

    let app = Router::new()
        .route("/token", post(token))
        .route("/v1/projects/{project}/messages:send", post(fcm_send))
        .route("/3/device/{token}", post(apns_send))
        .with_state(seen.clone());
    let control_app = Router::new()
        .route("/count", get(count))
        .route("/reset", post(reset))
        .route("/delay/{ms}", post(delay))
        .with_state(seen);
    let control_listener =
        tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], control)))
            .await
            .unwrap();
    tokio::spawn(async move { axum::serve(control_listener, control_app).await.unwrap() });

    let apns_port: u16 = arg("--apns-port").map_or(9402, |p| p.parse().unwrap());
    eprintln!(
        "push stand-in: FCM-like on https://localhost:{port}, APNs-like on \
         https://localhost:{apns_port}, control on http://127.0.0.1:{control}"
    );
    let apple = tokio::spawn(serve(apns_port, 1_000, acceptor.clone(), app.clone()));
    serve(port, 100, acceptor, app).await;
    apple.await.unwrap();
}

async fn serve(port: u16, streams: u32, acceptor: tokio_rustls::TlsAcceptor, app: Router) {
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .unwrap();
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let service = TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let mut builder = auto::Builder::new(TokioExecutor::new());
            builder.http2().max_concurrent_streams(streams);
            let _ = builder.serve_connection(TokioIo::new(tls), service).await;
        });
    }
}
