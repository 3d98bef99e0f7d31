//! Push providers: what the dispatcher hands over (a [`Push`]), what comes back (a
//! [`PushOutcome`]), and one implementation per provider — Apple's APNs (payloads by
//! a2), Firebase Cloud Messaging over HTTP v1, both over the HTTP/2 [`transport`], and
//! `log`, which only writes the push to the log.
pub mod apns;
pub mod app_clients;
pub mod apps;
pub mod fcm;
pub mod health;
pub mod log;
pub mod payload;
pub mod registrations;
pub mod token_format;
pub mod transport;

use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::reachability::Priority;

/// One push to one device token: a single notice, or a digest of several.
#[derive(Clone, Debug)]
pub struct Push {
    pub token: String,
    pub title: String,
    pub body: String,
    /// The notice this push is about; for a digest, the newest of them.
    pub notice_id: Uuid,
    /// How many notices the push stands for: 1, or the digest's size (Android's
    /// `notification_count`).
    pub count: u32,
    /// The person's unread notices, these included: the iOS badge.
    pub unread: u32,
    /// Which block of an FCM message the phone reads; APNs pushes are iOS.
    pub platform: Option<PushPlatform>,
    pub priority: Priority,
    /// Apple and Google drop the push after this; `None` keeps it until delivered.
    pub expires_at: Option<DateTime<Utc>>,
    /// Pushes with the same key replace each other on the phone (a retried push, a
    /// repeat until acknowledged).
    pub collapse_key: String,
    /// When the push is handed over: the base of FCM's relative `ttl`.
    pub now: DateTime<Utc>,
}

/// What a provider made of one push.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PushOutcome {
    Sent,
    /// Worth trying again later: a network error, 429, 5xx. `retry_after` is the
    /// provider's own wish, when it said one.
    Retry {
        error: String,
        retry_after: Option<Duration>,
    },
    /// This push will never succeed (malformed, too large, provider not configured);
    /// the token itself may still be good.
    Failed {
        error: String,
    },
    /// The credentials or their configuration were refused (a wrong key, team, topic,
    /// project; a token endpoint that says no): the fault is the set's, not the push's
    /// nor the token's. Opens the set's circuit ([`health`]).
    Misconfigured {
        error: String,
    },
    /// The provider asks every sender to slow down (quota, overload): pauses the set
    /// for every row, for `retry_after` when it said.
    Busy {
        error: String,
        retry_after: Option<Duration>,
    },
    /// The token is gone (uninstalled app, wrong environment): disable the registration
    /// and never use it again.
    TokenGone {
        reason: String,
    },
}

#[async_trait::async_trait]
pub trait Provider: Send + Sync {
    async fn send(&self, push: &Push) -> PushOutcome;
}

/// The configured providers, by the name a registration carries, and the tenants' own
/// apps.
#[derive(Clone)]
pub struct Providers {
    pub apns: Option<Arc<dyn Provider>>,
    pub fcm: Option<Arc<dyn Provider>>,
    pub log: Arc<dyn Provider>,
    /// Tenants' own apps; `None` where none are used (some tests, benchmarks).
    pub apps: Option<Arc<app_clients::AppClients>>,
    /// Each credential set's circuit, shared by every clone (and `/readyz`).
    pub health: Arc<health::ProviderHealth>,
}

// Which providers are configured, not their clients (which hold credentials).
#[allow(clippy::missing_fields_in_debug)]
impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Providers")
            .field("apns", &self.apns.is_some())
            .field("fcm", &self.fcm.is_some())
            .field("apps", &self.apps.is_some())
            .finish()
    }
}

impl Default for Providers {
    fn default() -> Self {
        Self {
            apns: None,
            fcm: None,
            log: Arc::new(log::LogProvider),
            apps: None,
            health: Arc::default(),
        }
    }
}

impl Providers {
    /// The provider configured for `name`; `None` when this server has no credentials
    /// for it.
    pub fn get(&self, name: PushProvider) -> Option<&Arc<dyn Provider>> {
        match name {
            PushProvider::Apns => self.apns.as_ref(),
            PushProvider::Fcm => self.fcm.as_ref(),
            PushProvider::Log => Some(&self.log),
        }
    }
}

pub use entities::vocab::{PushPlatform, PushProvider};

/// A `Retry-After` header: delay-seconds or an HTTP date (RFC 9110 §10.2.3).
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    use super::*;

    fn wish(value: &str) -> Option<Duration> {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_str(value).unwrap());
        retry_after(&headers)
    }

    #[test]
    fn retry_after_is_read_in_seconds_or_as_an_http_date() {
        assert_eq!(wish("120"), Some(Duration::from_mins(2)));
        let in_ten_minutes =
            httpdate::fmt_http_date(std::time::SystemTime::now() + Duration::from_mins(10));
        let read = wish(&in_ten_minutes).unwrap();
        assert!(read > Duration::from_secs(598) && read <= Duration::from_mins(10));
        // A date already past: at once.
        assert_eq!(wish("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
        assert_eq!(wish("soon"), None);
        assert_eq!(retry_after(&HeaderMap::new()), None);
    }
}
