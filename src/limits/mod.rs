//! Resource controls in front of every route: how large a body may be, how long a
//! request may take, how many run at once, and how often one client may fail to sign in
//! or one token may call. One request must never be able to stop the service for every
//! tenant, so each limit holds before any body is read or any work is done.
mod guard;
mod throttle;

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

pub use guard::guard;
pub use throttle::{ClientKey, client_address, client_of};

use throttle::{AuthThrottle, TokenBudget};

/// `[limits]` in the configuration: every limit is on by default.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest body of an ordinary request (JSON, forms), in bytes.
    pub body_bytes: usize,
    /// Largest body of an import (CSV, iCalendar; API and console), in bytes.
    pub import_body_bytes: usize,
    /// An ordinary request, its body included, must be done within this.
    pub request_timeout_seconds: u64,
    /// An import, its upload included, must be done within this.
    pub import_timeout_seconds: u64,
    /// Requests handled at once; more wait up to `queue_wait_ms`, then get a 503.
    pub concurrent_requests: usize,
    pub queue_wait_ms: u64,
    /// Failed authentications (bad or missing token, refused console sign-in) per minute,
    /// per client address and per token prefix, before further attempts get a 429.
    pub failed_auth_per_minute: u32,
    /// Each token's request budget: a sustained rate per second and a burst.
    pub token_requests_per_second: u32,
    pub token_request_burst: u32,
    /// Urgent notices one sender may send in an hour.
    pub urgent_notices_per_hour: u32,
    /// An urgent notice sent without `expires_at` expires this long after its send
    /// time: a call-in that could not be pushed in time must not arrive days later.
    pub urgent_expires_after_minutes: u32,
    /// Take the client's address from the last `X-Forwarded-For` entry (set this only
    /// behind a reverse proxy that writes it), not from the connection.
    pub trust_forwarded_for: bool,
}

/// The defaults of `config/default.toml`.
impl Default for LimitsConfig {
    fn default() -> Self {
        crate::config::Config::default().limits
    }
}

/// The limits at run time: shared by every request of one process.
#[derive(Clone)]
pub struct Limits(Arc<Inner>);

struct Inner {
    config: LimitsConfig,
    in_flight: Semaphore,
    failed_auth: AuthThrottle,
    budget: TokenBudget,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("config", &self.0.config)
            .finish_non_exhaustive()
    }
}

fn at_least_one(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN)
}

impl Limits {
    pub fn new(config: &LimitsConfig) -> Self {
        Limits(Arc::new(Inner {
            in_flight: Semaphore::new(config.concurrent_requests.max(1)),
            failed_auth: AuthThrottle::new(at_least_one(config.failed_auth_per_minute)),
            budget: TokenBudget::new(
                at_least_one(config.token_requests_per_second),
                at_least_one(config.token_request_burst),
            ),
            config: config.clone(),
        }))
    }

    pub fn config(&self) -> &LimitsConfig {
        &self.0.config
    }

    /// One of the request slots, waited for up to `queue_wait_ms`; `None` when every slot
    /// stayed busy.
    async fn slot(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        let wait = Duration::from_millis(self.0.config.queue_wait_ms);
        tokio::time::timeout(wait, self.0.in_flight.acquire())
            .await
            .ok()?
            .ok()
    }

    /// Whether any client is blocked now (one atomic read).
    pub fn anyone_blocked(&self) -> bool {
        self.0.failed_auth.anyone_blocked()
    }

    /// Refuses (429) a client that failed to authenticate too often of late, before its
    /// credential is looked at.
    pub fn refuse_if_blocked(&self, client: &ClientKey) -> crate::error::AppResult<()> {
        self.0.failed_auth.refuse_if_blocked(client)
    }

    /// Counts a failed authentication; answers the error to give: a 401 while the client
    /// is within its allowance, a 429 once it is not.
    pub fn failed_auth(&self, client: &ClientKey) -> crate::error::AppError {
        self.0.failed_auth.note_failure(client)
    }

    /// Spends one request of the token's budget, or refuses (429).
    pub fn spend(&self, token_id: uuid::Uuid) -> crate::error::AppResult<()> {
        self.0.budget.spend(token_id)
    }
}
