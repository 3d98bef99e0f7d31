//! Push providers: what the dispatcher hands over (a [`Push`]), what comes back (a
//! [`PushOutcome`]), and one implementation per provider — Apple's APNs (payloads by
//! a2), Firebase Cloud Messaging over HTTP v1, both over the HTTP/2 [`transport`], and
//! `log`, which only writes the push to the log.
pub mod apns;
pub mod app_clients;
pub mod apps;
pub mod fcm;
pub mod log;
pub mod payload;
pub mod registrations;
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
    /// How many notices the push stands for (the badge): 1, or the digest's size.
    pub count: u32,
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

pub use entities::vocab::PushProvider;
