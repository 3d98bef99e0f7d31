//! A region's network in miniature: a throwaway CA that no platform trusts, TLS HTTP/2
//! servers with its certificates (the provider stand-ins), and a `CONNECT` proxy that
//! may ask for credentials, writes down every tunnel it opens, and can go silent.
use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

use axum::Router;
use base64::Engine;
use hyper_util::{rt::TokioExecutor, rt::TokioIo, service::TowerToHyperService};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{
        TcpListener, TcpStream,
        tcp::{OwnedReadHalf, OwnedWriteHalf},
    },
};

/// A CA and a server certificate it issued for `localhost` and 127.0.0.1; the CA's PEM
/// is written to a file, as an operator would give it in `[push.network] ca_file`.
pub struct TestCa {
    pub ca_file: PathBuf,
    server_cert: CertificateDer<'static>,
    server_key: Vec<u8>,
    _dir: tempfile::TempDir,
}

impl TestCa {
    pub fn new() -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "Region Skåne inspection CA (test)");
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let server_key = KeyPair::generate().unwrap();
        let server_cert =
            CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                .unwrap()
                .signed_by(&server_key, &ca)
                .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let ca_file = dir.path().join("region-ca.pem");
        std::fs::write(&ca_file, ca.pem()).unwrap();
        Self {
            ca_file,
            server_cert: server_cert.der().clone(),
            server_key: server_key.serialize_der(),
            _dir: dir,
        }
    }

    /// Serves `app` over TLS, HTTP/2 only (ALPN `h2`), as Apple and Google do; returns
    /// the address.
    pub async fn serve_h2(&self, app: Router) -> SocketAddr {
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![self.server_cert.clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.server_key.clone())),
        )
        .unwrap();
        config.alpn_protocols = vec![b"h2".to_vec()];
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    return;
                };
                let acceptor = acceptor.clone();
                let service = TowerToHyperService::new(app.clone());
                tokio::spawn(async move {
                    // A client that does not trust the CA hangs up here.
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let _ = hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                });
            }
        });
        addr
    }
}

/// A forward proxy that only tunnels (`CONNECT host:port`), as regions' proxies do for
/// HTTPS; with `credentials`, a tunnel needs `Proxy-Authorization: Basic …`.
#[derive(Default)]
pub struct ConnectProxy {
    /// Every `CONNECT` target it was asked for, with whether it opened the tunnel.
    pub tunnels: Mutex<Vec<(String, bool)>>,
    /// Once set, the tunnels forward nothing more and close nothing: the silence of a
    /// firewall that dropped the connection's state.
    frozen: AtomicBool,
}

impl ConnectProxy {
    pub async fn start(credentials: Option<(&str, &str)>) -> (Arc<Self>, String) {
        let proxy = Arc::new(Self::default());
        let expected = credentials.map(|(user, password)| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            )
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = proxy.clone();
        tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let (state, expected) = (state.clone(), expected.clone());
                tokio::spawn(async move { state.tunnel(client, expected).await });
            }
        });
        (proxy, url)
    }

    async fn tunnel(&self, mut client: TcpStream, expected: Option<String>) {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if client.read(&mut byte).await.unwrap_or(0) == 0 {
                return;
            }
            head.push(byte[0]);
        }
        let head = String::from_utf8_lossy(&head).into_owned();
        let mut lines = head.lines();
        let request_line = lines.next().unwrap_or("");
        let Some(target) = request_line
            .strip_prefix("CONNECT ")
            .and_then(|rest| rest.split(' ').next())
        else {
            let _ = client
                .write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n")
                .await;
            return;
        };
        let authorization = lines.find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("proxy-authorization")
                .then(|| value.trim().to_owned())
        });
        let allowed = expected.is_none() || authorization == expected;
        self.tunnels
            .lock()
            .unwrap()
            .push((target.to_owned(), allowed));
        if !allowed {
            let _ = client
                .write_all(
                    b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                      proxy-authenticate: Basic realm=\"region\"\r\ncontent-length: 0\r\n\r\n",
                )
                .await;
            return;
        }
        let Ok(upstream) = TcpStream::connect(target).await else {
            let _ = client
                .write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")
                .await;
            return;
        };
        if client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await
            .is_ok()
        {
            let (from_client, to_client) = client.into_split();
            let (from_upstream, to_upstream) = upstream.into_split();
            tokio::join!(
                self.pipe(from_client, to_upstream),
                self.pipe(from_upstream, to_client)
            );
        }
    }

    async fn pipe(&self, mut from: OwnedReadHalf, mut to: OwnedWriteHalf) {
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match from.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            if self.frozen.load(Ordering::Relaxed) {
                std::future::pending::<()>().await;
            }
            if to.write_all(&buf[..n]).await.is_err() {
                return;
            }
        }
    }

    /// From now on every tunnel goes silent, open but carrying nothing.
    pub fn freeze(&self) {
        self.frozen.store(true, Ordering::Relaxed);
    }

    pub fn tunnels(&self) -> Vec<(String, bool)> {
        self.tunnels.lock().unwrap().clone()
    }
}
