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
use reqwest::{StatusCode, header::RETRY_AFTER};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::RwLock;

use super::{
    Provider, Push, PushOutcome,
    payload::fcm_message,
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

fn default_connections() -> usize {
    8
}

fn default_streams() -> usize {
    100
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
        })
    }

    /// The cached access token, or a new one when it is (nearly) expired or `stale` —
    /// the one FCM just refused.
    async fn access_token(&self, stale: Option<&Arc<str>>) -> Result<Arc<str>, String> {
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
            .map_err(|e| format!("signing the OAuth assertion: {e}"))?;
        let response = self
            .http
            .post(&self.token_uri)
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", assertion.as_str()),
            ])
            .send()
            .await
            .map_err(|e| format!("OAuth token endpoint: {e}"))?;
        if !response.status().is_success() {
            return Err(format!(
                "OAuth token endpoint answered {}",
                response.status()
            ));
        }
        let answer: TokenAnswer = response
            .json()
            .await
            .map_err(|e| format!("OAuth token endpoint answer: {e}"))?;
        let value: Arc<str> = answer.access_token.into();
        *cached = Some(AccessToken {
            value: value.clone(),
            renew_at: Instant::now() + Duration::from_secs(answer.expires_in.saturating_sub(60)),
        });
        Ok(value)
    }

    async fn post(&self, body: &Value, token: &str) -> Result<reqwest::Response, String> {
        self.transport
            .take()
            .post(&self.send_url)
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .map_err(|e| format!("FCM: {e}"))
    }
}

#[async_trait::async_trait]
impl Provider for FcmProvider {
    async fn send(&self, push: &Push) -> PushOutcome {
        let body = fcm_message(push);
        let retry = |error: String| PushOutcome::Retry {
            error,
            retry_after: None,
        };
        let mut token = match self.access_token(None).await {
            Ok(token) => token,
            Err(error) => return retry(error),
        };
        let mut response = match self.post(&body, &token).await {
            Ok(response) => response,
            Err(error) => return retry(error),
        };
        // An access token revoked or expired early: buy a new one and try once more.
        if response.status() == StatusCode::UNAUTHORIZED {
            token = match self.access_token(Some(&token)).await {
                Ok(token) => token,
                Err(error) => return retry(error),
            };
            response = match self.post(&body, &token).await {
                Ok(response) => response,
                Err(error) => return retry(error),
            };
        }
        let status = response.status();
        if status.is_success() {
            return PushOutcome::Sent;
        }
        let retry_after = response
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let error: Value = response.json().await.unwrap_or(Value::Null);
        outcome_of(status, &error, retry_after)
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
        _ if status == StatusCode::TOO_MANY_REQUESTS
            || status.is_server_error()
            || status == StatusCode::UNAUTHORIZED =>
        {
            PushOutcome::Retry {
                error: described,
                retry_after,
            }
        }
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
    fn quota_and_outages_retry_with_the_wish_honoured() {
        let outcome = outcome_of(
            StatusCode::TOO_MANY_REQUESTS,
            &fcm_error(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"),
            Some(Duration::from_secs(7)),
        );
        assert_eq!(
            outcome,
            PushOutcome::Retry {
                error: "FCM 429: QUOTA_EXCEEDED".to_owned(),
                retry_after: Some(Duration::from_secs(7))
            }
        );
        assert!(matches!(
            outcome_of(StatusCode::SERVICE_UNAVAILABLE, &Value::Null, None),
            PushOutcome::Retry { .. }
        ));
    }
}
