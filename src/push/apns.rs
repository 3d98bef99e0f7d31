//! Apple Push Notification service through the a2 crate, with token (.p8) auth.
//!
//! a2 cannot be pointed at a local server, so the client sits behind [`Provider`] and
//! what can be tested without Apple is tested: the payload (`payload.rs`) and
//! [`outcome_of`], the mapping of a2's answers to delivery outcomes.
use std::{fs::File, path::PathBuf};

use a2::{Client, ClientConfig, Endpoint, Error, ErrorReason, Response};
use serde::{Deserialize, Serialize};

use super::{Provider, Push, PushOutcome, payload::apns_payload};

/// `[push.apns]`
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct ApnsConfig {
    /// The .p8 signing key from Apple's developer account. Read once at start, never
    /// logged.
    pub key_file: PathBuf,
    pub key_id: String,
    pub team_id: String,
    /// The app's bundle id.
    pub topic: String,
    /// Apple's development environment instead of production.
    #[serde(default)]
    pub sandbox: bool,
}

pub struct ApnsProvider {
    client: Client,
    topic: String,
}

impl ApnsProvider {
    pub fn new(config: &ApnsConfig) -> anyhow::Result<Self> {
        let key = File::open(&config.key_file)
            .map_err(|e| anyhow::anyhow!("APNs key_file {}: {e}", config.key_file.display()))?;
        let endpoint = if config.sandbox {
            Endpoint::Sandbox
        } else {
            Endpoint::Production
        };
        let client = Client::token(
            key,
            config.key_id.clone(),
            config.team_id.clone(),
            ClientConfig::new(endpoint),
        )?;
        Ok(Self {
            client,
            topic: config.topic.clone(),
        })
    }
}

#[async_trait::async_trait]
impl Provider for ApnsProvider {
    async fn send(&self, push: &Push) -> PushOutcome {
        outcome_of(self.client.send(apns_payload(push, &self.topic)).await)
    }
}

/// What Apple's answer means for the delivery and the token.
pub fn outcome_of(result: Result<Response, Error>) -> PushOutcome {
    let response = match result {
        Ok(_) => return PushOutcome::Sent,
        Err(Error::ResponseError(response)) => response,
        Err(e @ (Error::ConnectionError(_) | Error::ClientError(_) | Error::RequestTimeout(_))) => {
            return PushOutcome::Retry {
                error: e.to_string(),
                retry_after: None,
            };
        }
        Err(e) => {
            return PushOutcome::Failed {
                error: e.to_string(),
            };
        }
    };
    let reason = response.error.as_ref().map(|e| &e.reason);
    let described = format!(
        "APNs {}: {}",
        response.code,
        reason.map_or("no reason".to_owned(), |r| format!("{r:?}"))
    );
    match (response.code, reason) {
        (410, _)
        | (
            _,
            Some(
                ErrorReason::Unregistered
                | ErrorReason::BadDeviceToken
                | ErrorReason::DeviceTokenNotForTopic,
            ),
        ) => PushOutcome::TokenGone { reason: described },
        // a2 signs a fresh provider token when its own has expired: try again.
        (429 | 500 | 503, _) | (_, Some(ErrorReason::ExpiredProviderToken)) => PushOutcome::Retry {
            error: described,
            retry_after: None,
        },
        _ => PushOutcome::Failed { error: described },
    }
}

#[cfg(test)]
mod tests {
    use a2::ErrorBody;

    use super::*;

    fn apple_says(code: u16, reason: Option<ErrorReason>) -> Result<Response, Error> {
        Err(Error::ResponseError(Response {
            error: reason.map(|reason| ErrorBody {
                reason,
                timestamp: None,
            }),
            apns_id: None,
            code,
        }))
    }

    #[test]
    fn success_is_sent() {
        let ok = Ok(Response {
            error: None,
            apns_id: Some("id".to_owned()),
            code: 200,
        });
        assert_eq!(outcome_of(ok), PushOutcome::Sent);
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
                matches!(
                    outcome_of(apple_says(code, reason)),
                    PushOutcome::TokenGone { .. }
                ),
                "{code}"
            );
        }
    }

    #[test]
    fn throttling_and_outages_are_retried() {
        for (code, reason) in [
            (429, Some(ErrorReason::TooManyRequests)),
            (503, Some(ErrorReason::ServiceUnavailable)),
            (500, Some(ErrorReason::InternalServerError)),
            (403, Some(ErrorReason::ExpiredProviderToken)),
        ] {
            assert!(
                matches!(
                    outcome_of(apple_says(code, reason)),
                    PushOutcome::Retry { .. }
                ),
                "{code}"
            );
        }
        assert!(matches!(
            outcome_of(Err(Error::RequestTimeout(20))),
            PushOutcome::Retry { .. }
        ));
    }

    #[test]
    fn a_refused_payload_fails_without_touching_the_token() {
        let outcome = outcome_of(apple_says(413, Some(ErrorReason::PayloadTooLarge)));
        assert_eq!(
            outcome,
            PushOutcome::Failed {
                error: "APNs 413: PayloadTooLarge".to_owned()
            }
        );
    }
}
