//! The HTTP/2 road to Apple and Google, shared by both providers: which roots are
//! trusted, the region's proxy, and enough connections to keep hundreds of sends in
//! flight.
//!
//! A push is one small request that waits a round trip (40 ms to Google, up to 150 ms to
//! Apple) for a small answer, so the rate is the number in flight divided by the round
//! trip. HTTP/2 multiplexes them over a connection up to the server's
//! `MAX_CONCURRENT_STREAMS` (Google's 100, Apple's up to 1,000); beyond that hyper holds
//! requests back in the connection, so a [`Transport`] spreads them over several
//! connections ("lanes"), opening the next only when the earlier ones are full.
//!
//! Each lane is its own `reqwest::Client` (its pool holds one HTTP/2 connection per
//! host) with PING keep-alive, so a connection a firewall dropped silently is found in
//! seconds instead of each request waiting out its timeout.
use std::{
    path::PathBuf,
    sync::{
        Arc, OnceLock,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// `[push.network]`: how Stilla reaches the providers from the region's network.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct NetworkConfig {
    /// An HTTPS proxy (`http://proxy.region.se:8080`): each `https://` connection is
    /// tunnelled with `CONNECT`. The environment's `HTTPS_PROXY` is not read; only this.
    pub proxy: Option<ProxyConfig>,
    /// Extra trusted roots (PEM, one or more certificates): a TLS-inspecting proxy's CA.
    pub ca_file: Option<PathBuf>,
    /// Trust the operating system's roots (`/etc/ssl/certs`), as a browser on the same
    /// machine would.
    pub platform_roots: bool,
    /// Also trust Mozilla's roots built into Stilla: for hosts without a CA bundle.
    pub bundled_roots: bool,
    pub connect_timeout_seconds: u64,
    /// One send, queueing in the connection included.
    pub request_timeout_seconds: u64,
    /// An HTTP/2 PING this often on every connection; no answer within
    /// `keepalive_timeout_seconds` closes it and the sends on it are retried.
    pub keepalive_seconds: u64,
    pub keepalive_timeout_seconds: u64,
}

impl Default for NetworkConfig {
    fn default() -> Self {
        Self {
            proxy: None,
            ca_file: None,
            platform_roots: true,
            bundled_roots: false,
            connect_timeout_seconds: 10,
            request_timeout_seconds: 30,
            keepalive_seconds: 10,
            keepalive_timeout_seconds: 5,
        }
    }
}

/// `[push.network.proxy]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyConfig {
    pub url: String,
    /// Basic credentials for `Proxy-Authorization`, when the proxy asks for them.
    pub username: Option<String>,
    /// Never logged.
    #[serde(default, serialize_with = "crate::config::serialize_optional_secret")]
    pub password: Option<SecretString>,
}

/// How many connections a provider may open and how many sends each carries.
#[derive(Clone, Copy, Debug)]
pub struct Lanes {
    pub connections: usize,
    pub streams_per_connection: usize,
}

impl Lanes {
    /// Sends in flight at most.
    pub fn capacity(self) -> usize {
        self.connections.max(1) * self.streams_per_connection.max(1)
    }
}

/// A set of HTTP/2 connections to one provider.
pub struct Transport {
    lanes: Vec<Lane>,
    streams_per_connection: usize,
}

struct Lane {
    client: reqwest::Client,
    in_flight: AtomicUsize,
}

/// A lane taken for one send; gives it back when dropped.
pub struct Taken<'a> {
    lane: &'a Lane,
}

impl std::ops::Deref for Taken<'_> {
    type Target = reqwest::Client;

    fn deref(&self) -> &reqwest::Client {
        &self.lane.client
    }
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        self.lane.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Transport {
    /// HTTP/2 only: Apple speaks nothing else, and Google's multiplexing is what lets a
    /// few connections carry hundreds of sends. A plain `http://` base URL (a stand-in
    /// on this machine) is spoken as HTTP/2 with prior knowledge.
    pub fn new(network: &NetworkConfig, lanes: Lanes) -> anyhow::Result<Self> {
        let lanes_vec = (0..lanes.connections.max(1))
            .map(|_| {
                Ok(Lane {
                    client: client(network, true)?,
                    in_flight: AtomicUsize::new(0),
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            lanes: lanes_vec,
            streams_per_connection: lanes.streams_per_connection.max(1),
        })
    }

    /// The lane for the next send: the first that has a free stream, so connections
    /// are opened only as the load needs them; when all are full, the least busy.
    pub fn take(&self) -> Taken<'_> {
        let loads: Vec<usize> = self
            .lanes
            .iter()
            .map(|l| l.in_flight.load(Ordering::Relaxed))
            .collect();
        let lane = &self.lanes[pick_lane(&loads, self.streams_per_connection)];
        lane.in_flight.fetch_add(1, Ordering::Relaxed);
        Taken { lane }
    }
}

/// The first lane below `per_lane` sends, else the least loaded.
fn pick_lane(loads: &[usize], per_lane: usize) -> usize {
    loads.iter().position(|&n| n < per_lane).unwrap_or_else(|| {
        loads
            .iter()
            .enumerate()
            .min_by_key(|(_, n)| **n)
            .map_or(0, |(i, _)| i)
    })
}

/// A client with the network settings: proxy, roots, timeouts, keep-alive. `h2_only`
/// for the push endpoints; the OAuth token endpoint takes whatever it offers.
pub fn client(network: &NetworkConfig, h2_only: bool) -> anyhow::Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .tls_built_in_root_certs(false)
        .connect_timeout(Duration::from_secs(network.connect_timeout_seconds.max(1)))
        .timeout(Duration::from_secs(network.request_timeout_seconds.max(1)))
        .pool_idle_timeout(Duration::from_secs(90))
        .http2_keep_alive_interval(Duration::from_secs(network.keepalive_seconds.max(1)))
        .http2_keep_alive_timeout(Duration::from_secs(
            network.keepalive_timeout_seconds.max(1),
        ))
        .http2_keep_alive_while_idle(true);
    if h2_only {
        builder = builder.http2_prior_knowledge();
    }
    if network.bundled_roots {
        builder = builder.tls_built_in_webpki_certs(true);
    }
    for root in roots(network)?.iter() {
        builder = builder.add_root_certificate(root.clone());
    }
    if let Some(proxy) = &network.proxy {
        let mut p = reqwest::Proxy::https(&proxy.url)
            .map_err(|e| anyhow::anyhow!("[push.network.proxy] url: {e}"))?;
        if let Some(user) = &proxy.username {
            let password = proxy.password.as_ref().map_or("", |p| p.expose_secret());
            p = p.basic_auth(user, password);
        }
        builder = builder.proxy(p);
    }
    Ok(builder.build()?)
}

/// The platform's roots (read once per process: a few hundred files) and the
/// configured CA file.
fn roots(network: &NetworkConfig) -> anyhow::Result<Arc<Vec<reqwest::Certificate>>> {
    static PLATFORM: OnceLock<Arc<Vec<reqwest::Certificate>>> = OnceLock::new();
    let mut all = Vec::new();
    if network.platform_roots {
        let platform = PLATFORM.get_or_init(|| {
            let found = rustls_native_certs::load_native_certs();
            for error in &found.errors {
                tracing::warn!(%error, "a platform root certificate could not be read");
            }
            Arc::new(
                found
                    .certs
                    .iter()
                    .filter_map(|der| reqwest::Certificate::from_der(der).ok())
                    .collect(),
            )
        });
        all.extend(platform.iter().cloned());
    }
    if let Some(file) = &network.ca_file {
        let pem = std::fs::read(file)
            .map_err(|e| anyhow::anyhow!("[push.network] ca_file {}: {e}", file.display()))?;
        let extra = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| anyhow::anyhow!("[push.network] ca_file {}: {e}", file.display()))?;
        anyhow::ensure!(
            !extra.is_empty(),
            "[push.network] ca_file {} holds no certificate",
            file.display()
        );
        all.extend(extra);
    }
    Ok(Arc::new(all))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_connection_opens_only_when_the_earlier_ones_are_full() {
        assert_eq!(pick_lane(&[0, 0, 0], 100), 0);
        assert_eq!(pick_lane(&[99, 0, 0], 100), 0);
        assert_eq!(pick_lane(&[100, 0, 0], 100), 1);
        assert_eq!(pick_lane(&[100, 100, 3], 100), 2);
    }

    #[test]
    fn when_all_are_full_the_least_busy_takes_it() {
        assert_eq!(pick_lane(&[130, 101, 120], 100), 1);
        assert_eq!(pick_lane(&[5], 1), 0);
    }

    #[test]
    fn a_missing_ca_file_is_a_clear_error() {
        let network = NetworkConfig {
            ca_file: Some("/nonexistent/region-ca.pem".into()),
            platform_roots: false,
            ..NetworkConfig::default()
        };
        let error = client(&network, true).unwrap_err().to_string();
        assert!(
            error.contains("ca_file /nonexistent/region-ca.pem"),
            "{error}"
        );
    }
}
