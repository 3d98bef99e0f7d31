//! How often: failed authentications per client address and per token prefix, and each
//! token's request budget. Both are GCRA rate limiters from `governor`, kept in this
//! process (each instance counts its own share: a limit per instance, not per cluster).
use std::{
    collections::HashMap,
    net::{IpAddr, SocketAddr},
    num::NonZeroU32,
    sync::{
        Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    extract::{ConnectInfo, FromRef},
    http::{Extensions, HeaderMap, request::Parts},
};
use governor::{
    DefaultKeyedRateLimiter, Quota, RateLimiter,
    clock::{Clock, DefaultClock},
};
use uuid::Uuid;

use super::Limits;
use crate::error::{AppError, AppResult};

/// Beyond this many keys a limiter forgets those that are back to a full allowance.
const KEYS_KEPT: usize = 10_000;
/// Characters of a presented secret that name it in the failure count: `stl_` and 48
/// random bits, enough to tell one stale token hammering from many addresses from others.
const TOKEN_PREFIX_CHARS: usize = 12;

/// Who is knocking: the client's address and the prefix of the credential it sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientKey {
    address: Option<IpAddr>,
    token_prefix: Option<String>,
}

impl ClientKey {
    pub fn address(&self) -> Option<IpAddr> {
        self.address
    }

    /// The same client presenting `secret`.
    #[must_use]
    pub fn with_secret(&self, secret: &str) -> ClientKey {
        ClientKey {
            address: self.address,
            token_prefix: Some(secret.chars().take(TOKEN_PREFIX_CHARS).collect()),
        }
    }

    fn keys(&self) -> impl Iterator<Item = String> + '_ {
        self.address
            .map(|a| format!("address:{a}"))
            .into_iter()
            .chain(self.token_prefix.iter().map(|p| format!("token:{p}")))
    }
}

/// The client of a request, as a throttle key.
pub fn client_of(parts: &Parts, limits: &Limits) -> ClientKey {
    ClientKey {
        address: client_address(&parts.headers, &parts.extensions, limits),
        token_prefix: None,
    }
}

/// The client's address: the connection's peer, or the last `X-Forwarded-For` entry
/// (the one our own proxy wrote) when the configuration trusts it.
pub fn client_address(
    headers: &HeaderMap,
    extensions: &Extensions,
    limits: &Limits,
) -> Option<IpAddr> {
    let forwarded = limits
        .config()
        .trust_forwarded_for
        .then(|| {
            headers
                .get_all("x-forwarded-for")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .last()
                .and_then(|a| a.trim().parse::<IpAddr>().ok())
        })
        .flatten();
    forwarded.or_else(|| {
        extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip())
    })
}

impl<S> axum::extract::FromRequestParts<S> for ClientKey
where
    S: Send + Sync,
    Limits: axum::extract::FromRef<S>,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(client_of(parts, &Limits::from_ref(state)))
    }
}

fn seconds_until(not_until: &governor::NotUntil<<DefaultClock as Clock>::Instant>) -> u64 {
    let wait = not_until.wait_time_from(DefaultClock::default().now());
    wait.as_secs() + u64::from(wait.subsec_nanos() > 0)
}

/// Failed authentications: within the allowance each is a 401; once it is spent the
/// client is blocked until a new attempt would be allowed, and every attempt meanwhile,
/// right or wrong, is a 429 answered before its credential is looked up. A right
/// credential during the block is refused too: otherwise the 429s would only tell a
/// guesser which guesses were wrong.
pub(super) struct AuthThrottle {
    failures: DefaultKeyedRateLimiter<String>,
    blocked: Mutex<HashMap<String, Instant>>,
    /// Whether anything is blocked: the common case reads one atomic, takes no lock.
    any_blocked: AtomicBool,
}

impl AuthThrottle {
    pub(super) fn new(per_minute: NonZeroU32) -> Self {
        Self {
            failures: RateLimiter::keyed(Quota::per_minute(per_minute)),
            blocked: Mutex::new(HashMap::new()),
            any_blocked: AtomicBool::new(false),
        }
    }

    pub(super) fn anyone_blocked(&self) -> bool {
        self.any_blocked.load(Ordering::Relaxed)
    }

    pub(super) fn refuse_if_blocked(&self, client: &ClientKey) -> AppResult<()> {
        if !self.any_blocked.load(Ordering::Relaxed) {
            return Ok(());
        }
        let now = Instant::now();
        let mut blocked = self
            .blocked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        blocked.retain(|_, until| *until > now);
        self.any_blocked
            .store(!blocked.is_empty(), Ordering::Relaxed);
        let longest = client
            .keys()
            .filter_map(|key| blocked.get(&key).map(|until| *until - now))
            .max();
        match longest {
            Some(wait) => Err(too_many_failures(wait)),
            None => Ok(()),
        }
    }

    pub(super) fn note_failure(&self, client: &ClientKey) -> AppError {
        if self.failures.len() > KEYS_KEPT {
            self.failures.retain_recent();
        }
        let mut longest: Option<Duration> = None;
        for key in client.keys() {
            if let Err(not_until) = self.failures.check_key(&key) {
                let wait = Duration::from_secs(seconds_until(&not_until));
                let mut blocked = self
                    .blocked
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                blocked.insert(key, Instant::now() + wait);
                self.any_blocked.store(true, Ordering::Relaxed);
                longest = longest.max(Some(wait));
            }
        }
        match longest {
            Some(wait) => {
                tracing::warn!(
                    retry_after_s = wait.as_secs(),
                    "authentication failures over the limit: client blocked"
                );
                too_many_failures(wait)
            }
            None => AppError::Unauthorized,
        }
    }
}

fn too_many_failures(wait: Duration) -> AppError {
    AppError::TooManyRequests {
        detail: "too many failed sign-ins from this client; wait and try again".to_owned(),
        retry_after: wait.as_secs().max(1),
    }
}

/// Each token's request budget: a sustained rate with a burst above it.
pub(super) struct TokenBudget {
    limiter: DefaultKeyedRateLimiter<Uuid>,
}

impl TokenBudget {
    pub(super) fn new(per_second: NonZeroU32, burst: NonZeroU32) -> Self {
        Self {
            limiter: RateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst)),
        }
    }

    pub(super) fn spend(&self, token_id: Uuid) -> AppResult<()> {
        if self.limiter.len() > KEYS_KEPT {
            self.limiter.retain_recent();
        }
        self.limiter
            .check_key(&token_id)
            .map_err(|not_until| AppError::TooManyRequests {
                detail: "this token has used its request budget; slow down".to_owned(),
                retry_after: seconds_until(&not_until).max(1),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(address: &str) -> ClientKey {
        ClientKey {
            address: Some(address.parse().unwrap()),
            token_prefix: None,
        }
    }

    #[test]
    fn failures_are_401_until_the_allowance_is_spent_then_429_for_everyone_behind_it() {
        let throttle = AuthThrottle::new(NonZeroU32::new(3).unwrap());
        let knocking = client("192.0.2.1").with_secret("stl_wrongwrongwrong");
        for _ in 0..3 {
            assert!(throttle.refuse_if_blocked(&knocking).is_ok());
            assert!(matches!(
                throttle.note_failure(&knocking),
                AppError::Unauthorized
            ));
        }
        let blocked = throttle.note_failure(&knocking);
        assert!(
            matches!(blocked, AppError::TooManyRequests { retry_after, .. } if (1..=60).contains(&retry_after)),
            "{blocked:?}"
        );
        // Blocked before the credential is looked at, even with another one...
        let same_address = client("192.0.2.1").with_secret("stl_right_token_");
        assert!(throttle.refuse_if_blocked(&same_address).is_err());
        // ...and the same stale token from elsewhere too; others are not touched.
        let same_token = client("198.51.100.7").with_secret("stl_wrongwrongwrong");
        assert!(throttle.refuse_if_blocked(&same_token).is_err());
        assert!(throttle.refuse_if_blocked(&client("198.51.100.7")).is_ok());
    }

    #[test]
    fn a_token_spends_its_burst_then_waits() {
        let budget = TokenBudget::new(NonZeroU32::new(1).unwrap(), NonZeroU32::new(5).unwrap());
        let (token, other) = (Uuid::now_v7(), Uuid::now_v7());
        for _ in 0..5 {
            budget.spend(token).unwrap();
        }
        assert!(matches!(
            budget.spend(token),
            Err(AppError::TooManyRequests { retry_after: 1, .. })
        ));
        budget.spend(other).unwrap();
    }
}
