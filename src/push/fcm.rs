//! Firebase Cloud Messaging over HTTP v1: `POST {endpoint}/v1/projects/{project}/messages:send`
//! with an OAuth2 access token bought from the service account's `token_uri` with a
//! signed JWT (RFC 7523) and cached until a minute before it expires.
//!
//! (The registry's `fcm` crate speaks the legacy API Google has shut down.)
use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::RwLock;

use super::{
    Provider, Push, PushOutcome,
    payload::{AndroidChannels, fcm_message},
    transport::{Lanes, NetworkConfig, Transport, client},
};

const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

pub const GOOGLE: &str = "https://fcm.googleapis.com";

/// `[push.fcm]`
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FcmConfig {
    /// The service account JSON downloaded from the Firebase console. Never logged.
    pub service_account_file: PathBuf,
    /// `https://fcm.googleapis.com` unless sending to a stand-in or a relay.
    #[serde(default = "default_base_url", alias = "endpoint")]
    pub base_url: String,
    /// HTTP/2 connections at most, and sends on each (Google allows 100).
    #[serde(default = "default_connections")]
    pub connections: usize,
    #[serde(default = "default_streams")]
    pub streams_per_connection: usize,
}

fn default_base_url() -> String {
    GOOGLE.to_owned()
}

/// The service's and every tenant app's, unless configured: Google allows 100 streams a connection; 16 of them keep 1,600 sends in flight, more
/// than the dispatcher's 1,024, so at 120 ms the connections are not what limits the rate.
pub const DEFAULT_LANES: Lanes = Lanes {
    connections: 16,
    streams_per_connection: 100,
};

fn default_connections() -> usize {
    DEFAULT_LANES.connections
}

fn default_streams() -> usize {
    DEFAULT_LANES.streams_per_connection
}

impl FcmConfig {
    pub fn lanes(&self) -> Lanes {
        Lanes {
            connections: self.connections,
            streams_per_connection: self.streams_per_connection,
        }
    }

    pub fn service_account(&self) -> anyhow::Result<ServiceAccount> {
        let text = std::fs::read_to_string(&self.service_account_file).map_err(|e| {
            anyhow::anyhow!(
                "FCM service_account_file {}: {e}",
                self.service_account_file.display()
            )
        })?;
        ServiceAccount::parse(&text)
    }
}

/// The fields of a Google service account file that Stilla uses.
#[derive(Deserialize)]
pub struct ServiceAccount {
    pub project_id: String,
    pub client_email: String,
    pub private_key: SecretString,
    pub token_uri: String,
}

/// Whether `json` is a service account Stilla can send with: its fields and an RSA key
/// that signs. The error never quotes the account (it holds a key).
pub fn check_account(json: &str) -> Result<ServiceAccount, String> {
    let account = ServiceAccount::parse(json).map_err(|e| e.to_string())?;
    EncodingKey::from_rsa_pem(account.private_key.expose_secret().as_bytes())
        .map_err(|_| "its private_key is not an RSA key in PEM".to_owned())?;
    if !account.token_uri.starts_with("https://") && !account.token_uri.starts_with("http://") {
        return Err("its token_uri is not a URL".to_owned());
    }
    Ok(account)
}

impl ServiceAccount {
    /// A service account file's JSON; the error never quotes the file (it holds a key).
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        serde_json::from_str(text).map_err(|e| {
            anyhow::anyhow!(
                "FCM service account is not valid: {} at line {} column {}",
                match e.classify() {
                    serde_json::error::Category::Data => "a field is missing or of the wrong kind",
                    _ => "not JSON",
                },
                e.line(),
                e.column()
            )
        })
    }
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    scope: &'a str,
    aud: &'a str,
    iat: i64,
    exp: i64,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
}

struct AccessToken {
    value: Arc<str>,
    renew_at: Instant,
}

pub struct FcmProvider {
    transport: Transport,
    /// For the OAuth token endpoint, through the same proxy and roots.
    http: reqwest::Client,
    send_url: String,
    client_email: String,
    token_uri: String,
    key: EncodingKey,
    token: RwLock<Option<AccessToken>>,
    channels: AndroidChannels,
}

impl FcmProvider {
    pub fn from_config(config: &FcmConfig, network: &NetworkConfig) -> anyhow::Result<Self> {
        Self::new(
            config.service_account()?,
            &config.base_url,
            network,
            config.lanes(),
        )
    }

    pub fn new(
        account: ServiceAccount,
        base_url: &str,
        network: &NetworkConfig,
        lanes: Lanes,
    ) -> anyhow::Result<Self> {
        let key = EncodingKey::from_rsa_pem(account.private_key.expose_secret().as_bytes())
            .map_err(|e| anyhow::anyhow!("FCM service account private_key: {e}"))?;
        Ok(Self {
            transport: Transport::new(network, lanes)?,
            http: client(network, false)?,
            send_url: format!(
                "{}/v1/projects/{}/messages:send",
                base_url.trim_end_matches('/'),
                account.project_id
            ),
            client_email: account.client_email,
            token_uri: account.token_uri,
            key,
            token: RwLock::new(None),
            channels: AndroidChannels::default(),
        })
    }

    /// Names these Android notification channels instead of the default ones.
    #[must_use]
    pub fn with_android_channels(mut self, channels: AndroidChannels) -> Self {
        self.channels = channels;
        self
    }

    /// The cached access token, or a new one when it is (nearly) expired or `stale` —
    /// the one FCM just refused.
    async fn access_token(&self, stale: Option<&Arc<str>>) -> Result<Arc<str>, PushOutcome> {
        let fresh = |t: &AccessToken| {
            t.renew_at > Instant::now() && stale.is_none_or(|s| !Arc::ptr_eq(s, &t.value))
        };
        // Every send reads the token; only one buys a new one, the others wait for it.
        if let Some(token) = self.token.read().await.as_ref().filter(|t| fresh(t)) {
            return Ok(token.value.clone());
        }
        let mut cached = self.token.write().await;
        if let Some(token) = cached.as_ref().filter(|t| fresh(t)) {
            return Ok(token.value.clone());
        }
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: &self.client_email,
            scope: SCOPE,
            aud: &self.token_uri,
            iat: now,
            exp: now + 3600,
        };
        let assertion = jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &self.key)
            .map_err(|e| PushOutcome::Misconfigured {
                error: format!("signing the OAuth assertion: {e}"),
            })?;
        let response = self
            .http
            .post(&self.token_uri)
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ])
            .send()
            .await
            .map_err(|e| retry(format!("OAuth token endpoint: {e}"), None))?;
        let status = response.status();
        if !status.is_success() {
            let error = format!("OAuth token endpoint answered {status}");
            // Google down or busy is worth waiting for; a refused key or account is
            // the credentials' fault.
            return Err(
                if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS {
                    PushOutcome::Busy {
                        error,
                        retry_after: super::retry_after(response.headers()),
                    }
                } else {
                    PushOutcome::Misconfigured { error }
                },
            );
        }
        let answer: TokenAnswer = response
            .json()
            .await
            .map_err(|e| retry(format!("OAuth token endpoint answer: {e}"), None))?;
        let value: Arc<str> = answer.access_token.into();
        *cached = Some(AccessToken {
            value: value.clone(),
            renew_at: Instant::now() + Duration::from_secs(answer.expires_in.saturating_sub(60)),
        });
        Ok(value)
    }

    /// Sends one message: Google's answer (status, `Retry-After`, error body), or the
    /// outcome when no answer came.
    async fn post(&self, body: &Value, token: &str) -> Result<Answer, PushOutcome> {
        let response = self
            .transport
            .take()
            .post(&self.send_url)
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .map_err(|e| retry(format!("FCM: {e}"), None))?;
        let status = response.status();
        if status.is_success() {
            return Ok(Answer {
                status,
                retry_after: None,
                error: Value::Null,
            });
        }
        let retry_after = super::retry_after(response.headers());
        let error = response.json().await.unwrap_or(Value::Null);
        Ok(Answer {
            status,
            retry_after,
            error,
        })
    }
}

/// Google's answer to one `messages:send`.
struct Answer {
    status: StatusCode,
    retry_after: Option<Duration>,
    error: Value,
}

fn retry(error: String, retry_after: Option<Duration>) -> PushOutcome {
    PushOutcome::Retry { error, retry_after }
}

#[async_trait::async_trait]
impl Provider for FcmProvider {
    async fn send(&self, push: &Push) -> PushOutcome {
        let body = fcm_message(push, &self.channels);
        let attempt = async {
            let mut token = self.access_token(None).await?;
            let mut answer = self.post(&body, &token).await?;
            // An access token revoked or expired early: buy a new one and try once
            // more. (THIRD_PARTY_AUTH_ERROR is a 401 too, about the app's APNs
            // credentials in Firebase: a new token would not help.)
            if answer.status == StatusCode::UNAUTHORIZED
                && error_code(&answer.error) != Some("THIRD_PARTY_AUTH_ERROR")
            {
                token = self.access_token(Some(&token)).await?;
                answer = self.post(&body, &token).await?;
            }
            Ok::<_, PushOutcome>(answer)
        };
        match attempt.await {
            Ok(answer) if answer.status.is_success() => PushOutcome::Sent,
            Ok(answer) => outcome_of(answer.status, &answer.error, answer.retry_after),
            Err(outcome) => outcome,
        }
    }
}

/// The FCM v1 error code of an error answer (`UNREGISTERED`, `QUOTA_EXCEEDED`, ...).
fn error_code(error: &Value) -> Option<&str> {
    error["error"]["details"]
        .as_array()?
        .iter()
        .find_map(|d| d["errorCode"].as_str())
        .or_else(|| error["error"]["status"].as_str())
}

/// Whether an `INVALID_ARGUMENT` is about the registration token rather than the message.
fn blames_the_token(error: &Value) -> bool {
    let violations = error["error"]["details"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|d| d["fieldViolations"].as_array())
        .flatten();
    violations
        .filter_map(|v| v["field"].as_str())
        .any(|field| field == "message.token")
        || error["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("registration token"))
}

/// What Google's answer means for the delivery and the token.
pub fn outcome_of(status: StatusCode, error: &Value, retry_after: Option<Duration>) -> PushOutcome {
    let code = error_code(error).unwrap_or("");
    let described = format!(
        "FCM {}: {}",
        status.as_u16(),
        if code.is_empty() {
            "no error code"
        } else {
            code
        }
    );
    match code {
        "UNREGISTERED" | "SENDER_ID_MISMATCH" => PushOutcome::TokenGone { reason: described },
        "INVALID_ARGUMENT" if blames_the_token(error) => {
            PushOutcome::TokenGone { reason: described }
        }
        // The project, the service account or the app's APNs credentials in Firebase.
        "PERMISSION_DENIED" | "THIRD_PARTY_AUTH_ERROR" | "UNAUTHENTICATED" => {
            PushOutcome::Misconfigured { error: described }
        }
        // The whole project is asked to slow down, or Google is overloaded.
        "QUOTA_EXCEEDED" | "RESOURCE_EXHAUSTED" | "UNAVAILABLE" => PushOutcome::Busy {
            error: described,
            retry_after,
        },
        _ if status == StatusCode::UNAUTHORIZED
            || status == StatusCode::FORBIDDEN
            || status == StatusCode::NOT_FOUND =>
        {
            // A 404 that is not UNREGISTERED: no such project.
            PushOutcome::Misconfigured { error: described }
        }
        _ if status == StatusCode::TOO_MANY_REQUESTS
            || status == StatusCode::SERVICE_UNAVAILABLE =>
        {
            PushOutcome::Busy {
                error: described,
                retry_after,
            }
        }
        _ if status.is_server_error() => PushOutcome::Retry {
            error: described,
            retry_after,
        },
        _ => PushOutcome::Failed { error: described },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn fcm_error(code: u16, status: &str, error_code: &str) -> Value {
        json!({"error": {"code": code, "message": "x", "status": status, "details": [
            {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": error_code}
        ]}})
    }

    #[test]
    fn unregistered_and_foreign_tokens_are_gone() {
        let gone = outcome_of(
            StatusCode::NOT_FOUND,
            &fcm_error(404, "NOT_FOUND", "UNREGISTERED"),
            None,
        );
        assert_eq!(
            gone,
            PushOutcome::TokenGone {
                reason: "FCM 404: UNREGISTERED".to_owned()
            }
        );
        assert!(matches!(
            outcome_of(
                StatusCode::FORBIDDEN,
                &fcm_error(403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH"),
                None
            ),
            PushOutcome::TokenGone { .. }
        ));
    }

    #[test]
    fn invalid_argument_disables_only_when_it_names_the_token() {
        let about_token = json!({"error": {"code": 400, "status": "INVALID_ARGUMENT",
            "message": "The registration token is not a valid FCM registration token",
            "details": [{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": "INVALID_ARGUMENT"}]}});
        assert!(matches!(
            outcome_of(StatusCode::BAD_REQUEST, &about_token, None),
            PushOutcome::TokenGone { .. }
        ));
        let about_message = json!({"error": {"code": 400, "status": "INVALID_ARGUMENT",
            "message": "Invalid value at 'message.android.ttl'",
            "details": [{"@type": "type.googleapis.com/google.rpc.BadRequest",
                "fieldViolations": [{"field": "message.android.ttl"}]}]}});
        assert!(matches!(
            outcome_of(StatusCode::BAD_REQUEST, &about_message, None),
            PushOutcome::Failed { .. }
        ));
    }

    #[test]
    fn quota_and_outages_pause_the_project_with_the_wish_honoured() {
        let outcome = outcome_of(
            StatusCode::TOO_MANY_REQUESTS,
            &fcm_error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"),
            Some(Duration::from_secs(7)),
        );
        assert_eq!(
            outcome,
            PushOutcome::Busy {
                error: "FCM 429: QUOTA_EXCEEDED".to_owned(),
                retry_after: Some(Duration::from_secs(7))
            }
        );
        assert!(matches!(
            outcome_of(StatusCode::SERVICE_UNAVAILABLE, &Value::Null, None),
            PushOutcome::Busy { .. }
        ));
        // One request's internal error is that push's to try again.
        assert!(matches!(
            outcome_of(
                StatusCode::INTERNAL_SERVER_ERROR,
                &fcm_error(500, "INTERNAL", "INTERNAL"),
                None
            ),
            PushOutcome::Retry { .. }
        ));
    }

    #[test]
    fn a_wrong_project_or_refused_account_is_the_credentials_fault() {
        for (status, body) in [
            (
                StatusCode::FORBIDDEN,
                json!({"error": {"code": 403, "status": "PERMISSION_DENIED", "message": "x"}}),
            ),
            (
                StatusCode::NOT_FOUND,
                json!({"error": {"code": 404, "status": "NOT_FOUND", "message": "Requested entity was not found."}}),
            ),
            (
                StatusCode::UNAUTHORIZED,
                fcm_error(401, "UNAUTHENTICATED", "THIRD_PARTY_AUTH_ERROR"),
            ),
        ] {
            assert!(
                matches!(
                    outcome_of(status, &body, None),
                    PushOutcome::Misconfigured { .. }
                ),
                "{status}"
            );
        }
    }
}
