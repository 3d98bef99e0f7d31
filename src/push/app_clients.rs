//! The clients for tenants' own apps, built from their sealed credentials when first
//! needed and kept until the app is changed: each app has its own connections, provider
//! token, and health and backoff ([`super::health`]), apart from the service's and
//! every other tenant's.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use chrono::{DateTime, Utc};
use entities::push_app;
use secrecy::ExposeSecret;
use uuid::Uuid;

use super::{
    Provider, PushOutcome, PushProvider,
    apns::{self, ApnsCredentials, ApnsProvider},
    apps::{apns_purpose, fcm_purpose},
    fcm::{self, FcmProvider},
    payload::AndroidChannels,
    transport::NetworkConfig,
};
use crate::secrets::SecretBox;

/// A built client, and the version of the app it was built from.
struct Built {
    updated_at: DateTime<Utc>,
    provider: Arc<dyn Provider>,
}

pub struct AppClients {
    secrets: SecretBox,
    network: NetworkConfig,
    /// Where Apple and Google are: changed only for stand-ins in tests and benchmarks.
    apns_base_url: Option<String>,
    fcm_base_url: String,
    android_channels: AndroidChannels,
    built: Mutex<HashMap<(Uuid, PushProvider), Built>>,
}

impl std::fmt::Debug for AppClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppClients").finish_non_exhaustive()
    }
}

impl AppClients {
    pub fn new(secrets: SecretBox, network: NetworkConfig) -> Self {
        Self {
            secrets,
            network,
            apns_base_url: None,
            fcm_base_url: fcm::GOOGLE.to_owned(),
            android_channels: AndroidChannels::default(),
            built: Mutex::new(HashMap::new()),
        }
    }

    /// Names these Android notification channels in the apps' FCM pushes.
    #[must_use]
    pub fn with_android_channels(mut self, channels: AndroidChannels) -> Self {
        self.android_channels = channels;
        self
    }

    /// Sends to `apns` and `fcm` instead of Apple's and Google's hosts.
    #[must_use]
    pub fn with_base_urls(mut self, apns: &str, fcm: &str) -> Self {
        self.apns_base_url = Some(apns.to_owned());
        fcm.clone_into(&mut self.fcm_base_url);
        self
    }

    /// The client for `app`'s `provider` side: `Ok(None)` when the app has no such
    /// side, `Err` with the outcome to record when its credentials cannot be used.
    pub async fn provider(
        &self,
        app: &push_app::Model,
        provider: PushProvider,
    ) -> Result<Option<Arc<dyn Provider>>, PushOutcome> {
        let key = (app.id, provider);
        if let Some(built) = self.built.lock().expect("not poisoned").get(&key)
            && built.updated_at == app.updated_at
        {
            return Ok(Some(built.provider.clone()));
        }
        let Some(provider_built) = self.build(app, provider).await? else {
            return Ok(None);
        };
        self.built.lock().expect("not poisoned").insert(
            key,
            Built {
                updated_at: app.updated_at,
                provider: provider_built.clone(),
            },
        );
        Ok(Some(provider_built))
    }

    async fn build(
        &self,
        app: &push_app::Model,
        provider: PushProvider,
    ) -> Result<Option<Arc<dyn Provider>>, PushOutcome> {
        // A stored secret that will not open, or a client that cannot be built, is the
        // tenant's configuration: its circuit opens and the pushes wait, never blamed
        // on the phone.
        let unusable = |what: &str, e: &dyn std::fmt::Display| {
            tracing::warn!(app_id = %app.app_id, tenant_id = %app.tenant_id, error = %e,
                "a tenant's push app cannot be used");
            PushOutcome::Misconfigured {
                error: format!("the tenant's app {} cannot be used: {what}", app.app_id),
            }
        };
        match provider {
            PushProvider::Apns => {
                let (Some(key_id), Some(team_id), Some(topic), Some(sealed)) = (
                    &app.apns_key_id,
                    &app.apns_team_id,
                    &app.apns_topic,
                    &app.apns_key_sealed,
                ) else {
                    return Ok(None);
                };
                let key_pem = self
                    .secrets
                    .open(&apns_purpose(app.tenant_id, &app.app_id), sealed)
                    .await
                    .map_err(|e| unusable("its Apple key does not open", &e))?;
                let credentials = ApnsCredentials {
                    key_pem,
                    key_id: key_id.clone(),
                    team_id: team_id.clone(),
                    topic: topic.clone(),
                };
                let base = self
                    .apns_base_url
                    .as_deref()
                    .unwrap_or(if app.apns_sandbox {
                        apns::SANDBOX
                    } else {
                        apns::PRODUCTION
                    });
                let client =
                    ApnsProvider::new(&credentials, base, &self.network, apns::DEFAULT_LANES)
                        .map_err(|e| unusable("its Apple client", &e))?;
                Ok(Some(Arc::new(client)))
            }
            PushProvider::Fcm => {
                let Some(sealed) = &app.fcm_account_sealed else {
                    return Ok(None);
                };
                let json = self
                    .secrets
                    .open(&fcm_purpose(app.tenant_id, &app.app_id), sealed)
                    .await
                    .map_err(|e| unusable("its service account does not open", &e))?;
                let account = fcm::check_account(json.expose_secret())
                    .map_err(|e| unusable("its service account", &e))?;
                let client = FcmProvider::new(
                    account,
                    &self.fcm_base_url,
                    &self.network,
                    fcm::DEFAULT_LANES,
                )
                .map_err(|e| unusable("its Firebase client", &e))?
                .with_android_channels(self.android_channels.clone());
                Ok(Some(Arc::new(client)))
            }
            PushProvider::Log => Ok(None),
        }
    }
}
