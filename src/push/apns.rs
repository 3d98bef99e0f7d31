//! Apple Push Notification service: payloads and headers built by a2, sent over Stilla's
//! own HTTP/2 [`Transport`] (a2's client has Apple's hosts and the public roots built
//! in, and takes no proxy), with token-based authentication: an ES256 provider token
//! signed with the team's .p8 key.
//!
//! Apple refuses a provider token older than an hour (`ExpiredProviderToken`) and one
//! renewed more often than every 20 minutes (`TooManyProviderTokenUpdates`); Stilla signs
//! a new one after 40 minutes, and at once when Apple calls the current one expired.
use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use a2::{ErrorBody, ErrorReason, request::payload::PayloadLike};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tokio::sync::RwLock;

use super::{
    Provider, Push, PushOutcome,
    payload::{ApnsPayload, apns_payload},
    transport::{Lanes, NetworkConfig, Transport},
};

pub const PRODUCTION: &str = "https://api.push.apple.com";
pub const SANDBOX: &str = "https://api.sandbox.push.apple.com";

/// A provider token is renewed after this long (Apple: between 20 and 60 minutes).
const TOKEN_RENEWAL: Duration = Duration::from_mins(40);

/// `[push.apns]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ApnsConfig {
    /// The .p8 signing key from Apple's developer account. Read once at start, never
    /// logged.
    pub key_file: PathBuf,
    pub key_id: String,
    pub team_id: String,
    /// The app's bundle id.
    pub topic: String,
    /// Apple's development environment (`api.sandbox.push.apple.com`) instead of
    /// production.
    #[serde(default)]
    pub sandbox: bool,
    /// Where to send instead of Apple's host for `sandbox` (a stand-in, a relay).
    #[serde(default)]
    pub base_url: Option<String>,
    /// HTTP/2 connections at most, and sends on each (Apple allows up to 1,000).
    #[serde(default = "default_connections")]
    pub connections: usize,
    #[serde(default = "default_streams")]
    pub streams_per_connection: usize,
}

/// The service's and every tenant app's, unless configured: Apple allows 1,000 streams a connection; two at 500 keep the dispatcher's 1,024
/// in flight.
pub const DEFAULT_LANES: Lanes = Lanes {
    connections: 2,
    streams_per_connection: 500,
};

fn default_connections() -> usize {
    DEFAULT_LANES.connections
}

fn default_streams() -> usize {
    DEFAULT_LANES.streams_per_connection
}

impl ApnsConfig {
    pub fn lanes(&self) -> Lanes {
        Lanes {
            connections: self.connections,
            streams_per_connection: self.streams_per_connection,
        }
    }

    /// Apple's host for the environment, or the configured one.
    pub fn base_url(&self) -> &str {
        self.base_url
            .as_deref()
            .unwrap_or(if self.sandbox { SANDBOX } else { PRODUCTION })
    }

    pub fn credentials(&self) -> anyhow::Result<ApnsCredentials> {
        let key = std::fs::read_to_string(&self.key_file)
            .map_err(|e| anyhow::anyhow!("APNs key_file {}: {e}", self.key_file.display()))?;
        Ok(ApnsCredentials {
            key_pem: key.into(),
            key_id: self.key_id.clone(),
            team_id: self.team_id.clone(),
            topic: self.topic.clone(),
        })
    }
}

/// What signs and addresses an app's pushes: the service's own, or a tenant's.
pub struct ApnsCredentials {
    /// The .p8 file's contents (PKCS#8 PEM of a P-256 key).
    pub key_pem: SecretString,
    pub key_id: String,
    pub team_id: String,
    pub topic: String,
}

/// Whether `pem` is a key Apple's provider tokens can be signed with (a P-256 key in
/// PKCS#8 PEM, as in a .p8 file); the error says what is wrong without quoting it.
pub fn check_signing_key(pem: &str) -> Result<EncodingKey, String> {
    let key = EncodingKey::from_ec_pem(pem.as_bytes())
        .map_err(|_| "not a P-256 key in PEM: paste the whole .p8 file".to_owned())?;
    jsonwebtoken::encode(&Header::new(Algorithm::ES256), &serde_json::json!({}), &key)
        .map_err(|_| "not a P-256 key: Apple's keys sign with ES256".to_owned())?;
    Ok(key)
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    iat: i64,
}

struct ProviderToken {
    bearer: Arc<str>,
    signed_at: Instant,
}

pub struct ApnsProvider {
    transport: Transport,
    base_url: String,
    key: EncodingKey,
    key_id: String,
    team_id: String,
    topic: String,
    token: RwLock<Option<ProviderToken>>,
}

impl ApnsProvider {
    pub fn new(
        credentials: &ApnsCredentials,
        base_url: &str,
        network: &NetworkConfig,
        lanes: Lanes,
    ) -> anyhow::Result<Self> {
        let key = check_signing_key(credentials.key_pem.expose_secret())
            .map_err(|e| anyhow::anyhow!("APNs signing key is {e}"))?;
        let provider = Self {
            transport: Transport::new(network, lanes)?,
            base_url: base_url.trim_end_matches('/').to_owned(),
            key,
            key_id: credentials.key_id.clone(),
            team_id: credentials.team_id.clone(),
            topic: credentials.topic.clone(),
            token: RwLock::new(None),
        };
        // A key that cannot sign is found at start, not at the first push.
        provider.sign()?;
        Ok(provider)
    }

    pub fn from_config(config: &ApnsConfig, network: &NetworkConfig) -> anyhow::Result<Self> {
        Self::new(
            &config.credentials()?,
            config.base_url(),
            network,
            config.lanes(),
        )
    }

    fn sign(&self) -> anyhow::Result<ProviderToken> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.key_id.clone());
        let claims = Claims {
            iss: &self.team_id,
            iat: chrono::Utc::now().timestamp(),
        };
        let jwt = jsonwebtoken::encode(&header, &claims, &self.key)?;
        Ok(ProviderToken {
            bearer: format!("bearer {jwt}").into(),
            signed_at: Instant::now(),
        })
    }

    /// The current provider token; a new one when it is old, or when `stale` (the one
    /// Apple just refused) is still the current one.
    async fn bearer(&self, stale: Option<&Arc<str>>) -> Result<Arc<str>, String> {
        let fresh = |t: &ProviderToken| {
            t.signed_at.elapsed() < TOKEN_RENEWAL
                && stale.is_none_or(|s| !Arc::ptr_eq(s, &t.bearer))
        };
        if let Some(token) = self.token.read().await.as_ref().filter(|t| fresh(t)) {
            return Ok(token.bearer.clone());
        }
        let mut slot = self.token.write().await;
        if let Some(token) = slot.as_ref().filter(|t| fresh(t)) {
            return Ok(token.bearer.clone());
        }
        let token = self
            .sign()
            .map_err(|e| format!("signing the APNs provider token: {e}"))?;
        let bearer = token.bearer.clone();
        *slot = Some(token);
        Ok(bearer)
    }

    async fn post(
        &self,
        payload: &ApnsPayload<'_>,
        body: &str,
        bearer: &str,
    ) -> Result<(StatusCode, Option<Duration>, Option<ErrorBody>), String> {
        let options = payload.get_options();
        let lane = self.transport.take();
        let mut request = lane
            .post(format!(
                "{}/3/device/{}",
                self.base_url,
                payload.get_device_token()
            ))
            .header("authorization", bearer)
            .header("content-type", "application/json")
            .body(body.to_owned());
        if let Some(topic) = options.apns_topic {
            request = request.header("apns-topic", topic);
        }
        if let Some(kind) = &options.apns_push_type {
            request = request.header("apns-push-type", kind.to_string());
        }
        if let Some(priority) = &options.apns_priority {
            request = request.header("apns-priority", priority.to_string());
        }
        if let Some(expiration) = options.apns_expiration {
            request = request.header("apns-expiration", expiration.to_string());
        }
        if let Some(collapse) = &options.apns_collapse_id {
            request = request.header("apns-collapse-id", collapse.value);
        }
        let response = request.send().await.map_err(|e| format!("APNs: {e}"))?;
        let status = response.status();
        if status.is_success() {
            return Ok((status, None, None));
        }
        let retry_after = super::retry_after(response.headers());
        let error = response.json::<ErrorBody>().await.ok();
        Ok((status, retry_after, error))
    }
}

#[async_trait::async_trait]
impl Provider for ApnsProvider {
    async fn send(&self, push: &Push) -> PushOutcome {
        let payload = apns_payload(push, &self.topic);
        let body = match payload.to_json_string() {
            Ok(body) => body,
            Err(e) => {
                return PushOutcome::Failed {
                    error: format!("APNs payload: {e}"),
                };
            }
        };
        let retry = |error: String| PushOutcome::Retry {
            error,
            retry_after: None,
        };
        let mut bearer = match self.bearer(None).await {
            Ok(bearer) => bearer,
            Err(error) => return PushOutcome::Misconfigured { error },
        };
        let mut answer = self.post(&payload, &body, &bearer).await;
        // Apple called the token expired (a clock that jumped, a suspended host): sign
        // a new one and try once more.
        if let Ok((_, _, Some(error))) = &answer
            && error.reason == ErrorReason::ExpiredProviderToken
        {
            bearer = match self.bearer(Some(&bearer)).await {
                Ok(bearer) => bearer,
                Err(error) => return PushOutcome::Misconfigured { error },
            };
            answer = self.post(&payload, &body, &bearer).await;
        }
        match answer {
            Ok((status, retry_after, error)) => outcome_of(status, error.as_ref(), retry_after),
            Err(error) => retry(error),
        }
    }
}

/// What Apple's answer means for the delivery and the token.
pub fn outcome_of(
    status: StatusCode,
    error: Option<&ErrorBody>,
    retry_after: Option<Duration>,
) -> PushOutcome {
    if status.is_success() {
        return PushOutcome::Sent;
    }
    let reason = error.map(|e| &e.reason);
    let described = format!(
        "APNs {}: {}",
        status.as_u16(),
        reason.map_or("no reason".to_owned(), |r| format!("{r:?}"))
    );
    match (status.as_u16(), reason) {
        (410, _)
        | (
            _,
            Some(
                ErrorReason::Unregistered
                | ErrorReason::BadDeviceToken
                | ErrorReason::DeviceTokenNotForTopic,
            ),
        ) => PushOutcome::TokenGone { reason: described },
        // The key, team, topic or environment is wrong, or a new token was refused
        // even after signing one (a clock far off): every push with these credentials
        // would fail the same way.
        (
            _,
            Some(
                ErrorReason::InvalidProviderToken
                | ErrorReason::MissingProviderToken
                | ErrorReason::ExpiredProviderToken
                | ErrorReason::BadCertificate
                | ErrorReason::BadCertificateEnvironment
                | ErrorReason::BadTopic
                | ErrorReason::TopicDisallowed
                | ErrorReason::MissingTopic
                | ErrorReason::Forbidden,
            ),
        )
        | (403, None) => PushOutcome::Misconfigured { error: described },
        // Apple as a whole is overloaded or going down, or the provider token was
        // renewed too often: everyone waits.
        (
            _,
            Some(
                ErrorReason::ServiceUnavailable
                | ErrorReason::Shutdown
                | ErrorReason::TooManyProviderTokenUpdates,
            ),
        )
        | (503, None) => PushOutcome::Busy {
            error: described,
            retry_after,
        },
        // 429 TooManyRequests is about one device token; 500 about one request.
        (429 | 500 | 503, _) | (_, Some(ErrorReason::IdleTimeout)) => PushOutcome::Retry {
            error: described,
            retry_after,
        },
        _ => PushOutcome::Failed { error: described },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apple_says(code: u16, reason: Option<ErrorReason>) -> PushOutcome {
        let body = reason.map(|reason| ErrorBody {
            reason,
            timestamp: None,
        });
        outcome_of(StatusCode::from_u16(code).unwrap(), body.as_ref(), None)
    }

    #[test]
    fn success_is_sent() {
        assert_eq!(outcome_of(StatusCode::OK, None, None), PushOutcome::Sent);
    }

    #[test]
    fn dead_tokens_disable_the_registration() {
        for (code, reason) in [
            (400, Some(ErrorReason::BadDeviceToken)),
            (410, Some(ErrorReason::Unregistered)),
            (400, Some(ErrorReason::DeviceTokenNotForTopic)),
            (410, None),
        ] {
            assert!(
                matches!(apple_says(code, reason), PushOutcome::TokenGone { .. }),
                "{code}"
            );
        }
    }

    #[test]
    fn one_tokens_throttling_and_one_requests_error_are_that_pushs_to_retry() {
        for (code, reason) in [
            (429, Some(ErrorReason::TooManyRequests)),
            (500, Some(ErrorReason::InternalServerError)),
            (429, None),
        ] {
            assert!(
                matches!(apple_says(code, reason), PushOutcome::Retry { .. }),
                "{code}"
            );
        }
    }

    #[test]
    fn an_apple_outage_pauses_everyone() {
        for (code, reason) in [
            (503, Some(ErrorReason::ServiceUnavailable)),
            (503, Some(ErrorReason::Shutdown)),
            (503, None),
            (429, Some(ErrorReason::TooManyProviderTokenUpdates)),
        ] {
            let case = format!("{code} {reason:?}");
            assert!(
                matches!(apple_says(code, reason), PushOutcome::Busy { .. }),
                "{case}"
            );
        }
    }

    #[test]
    fn refused_credentials_are_the_sets_fault_not_the_tokens() {
        for (code, reason) in [
            (403, Some(ErrorReason::InvalidProviderToken)),
            (403, Some(ErrorReason::MissingProviderToken)),
            // Still expired after a freshly signed token: the clock, not the token.
            (403, Some(ErrorReason::ExpiredProviderToken)),
            (403, Some(ErrorReason::BadCertificate)),
            (403, Some(ErrorReason::BadCertificateEnvironment)),
            (400, Some(ErrorReason::BadTopic)),
            (400, Some(ErrorReason::TopicDisallowed)),
            (400, Some(ErrorReason::MissingTopic)),
            (403, None),
        ] {
            let case = format!("{code} {reason:?}");
            assert!(
                matches!(apple_says(code, reason), PushOutcome::Misconfigured { .. }),
                "{case}"
            );
        }
    }

    #[test]
    fn a_refused_payload_fails_without_touching_the_token() {
        assert_eq!(
            apple_says(413, Some(ErrorReason::PayloadTooLarge)),
            PushOutcome::Failed {
                error: "APNs 413: PayloadTooLarge".to_owned()
            }
        );
    }

    #[test]
    fn apples_reason_bodies_parse() {
        let gone: ErrorBody =
            serde_json::from_str(r#"{"reason":"Unregistered","timestamp":1733400000000}"#).unwrap();
        assert!(matches!(
            outcome_of(StatusCode::GONE, Some(&gone), None),
            PushOutcome::TokenGone { .. }
        ));
    }

    #[test]
    fn a_key_that_is_not_p256_is_refused_at_start() {
        let credentials = ApnsCredentials {
            key_pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".into(),
            key_id: "K".into(),
            team_id: "T".into(),
            topic: "t".into(),
        };
        let lanes = Lanes {
            connections: 1,
            streams_per_connection: 1,
        };
        let error = ApnsProvider::new(&credentials, PRODUCTION, &NetworkConfig::default(), lanes)
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("not a P-256 key"), "{error}");
    }
}
