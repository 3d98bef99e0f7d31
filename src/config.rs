//! Settings: built-in defaults <- `config/default.toml`-style file <- `STILLA_*` environment.
//!
//! The defaults are written in one place, `config/default.toml`, which is built into
//! the binary: every `Default` here reads them from it.
//!
//! Nested keys use a double underscore in the environment: `[database] url` is
//! `STILLA_DATABASE__URL`. Tests build a [`Config`] in code and never touch the process
//! environment.
use std::{net::SocketAddr, path::Path, sync::Arc};

use figment::{
    Figment,
    providers::{Env, Format, Toml},
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use crate::{
    auth::sessions::SessionPolicy,
    delivery::DeliveryConfig,
    limits::LimitsConfig,
    push::{
        Providers,
        apns::{ApnsConfig, ApnsProvider},
        app_clients::AppClients,
        fcm::{FcmConfig, FcmProvider},
        health::{HealthConfig, ProviderHealth},
        payload::AndroidChannels,
        transport::NetworkConfig,
    },
    secrets::SecretBox,
};

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Config {
    /// Address the HTTP API listens on.
    pub listen: SocketAddr,
    /// Where browsers reach the service (behind a proxy: the proxy's URL). https, or
    /// http on anything but this machine, makes cookies `Secure` and `__Host-`; https
    /// adds HSTS.
    pub public_url: String,
    pub database: DatabaseConfig,
    pub log: LogConfig,
    /// No provider unless configured (`[push.apns]`, `[push.fcm]`).
    #[serde(default)]
    pub push: PushConfig,
    pub delivery: DeliveryConfig,
    pub limits: LimitsConfig,
    pub console: ConsoleConfig,
    pub secrets: SecretsConfig,
}

/// `[secrets]`: the key that seals the secrets Stilla keeps (identity-provider client
/// secrets): given inline, or in a file made on first use.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsConfig {
    /// 32 bytes in base64; wins over `key_file`. Never logged.
    #[serde(default, serialize_with = "serialize_optional_secret")]
    pub key: Option<SecretString>,
    pub key_file: std::path::PathBuf,
}

impl SecretsConfig {
    pub fn secret_box(&self) -> crate::secrets::SecretBox {
        crate::secrets::SecretBox::new(match &self.key {
            Some(key) => crate::secrets::KeySource::Inline(key.clone()),
            None => crate::secrets::KeySource::File(self.key_file.clone()),
        })
    }
}

/// `[console]`: how long a signed-in browser stays signed in.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ConsoleConfig {
    /// A session ends after this long without a request.
    pub session_idle_minutes: u32,
    /// A session ends this long after sign-in, used or not.
    pub session_lifetime_hours: u32,
}

impl ConsoleConfig {
    pub fn session_policy(&self) -> SessionPolicy {
        SessionPolicy {
            idle: chrono::Duration::minutes(i64::from(self.session_idle_minutes.max(1))),
            lifetime: chrono::Duration::hours(i64::from(self.session_lifetime_hours.max(1))),
        }
    }
}

/// `[push]`: the providers beside `log`, which is always there. A provider left out
/// here fails the deliveries to its registrations with a clear error.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PushConfig {
    pub apns: Option<ApnsConfig>,
    pub fcm: Option<FcmConfig>,
    /// Proxy, trusted roots, timeouts: for both providers and tenants' own apps.
    #[serde(default)]
    pub network: NetworkConfig,
    /// Probes and pauses of each credential set's circuit.
    #[serde(default)]
    pub health: HealthConfig,
    /// The Android notification channel ids FCM pushes name, one per priority.
    #[serde(default)]
    pub android_channels: AndroidChannels,
}

impl PushConfig {
    /// Builds the configured providers, reading their key files; tenants' own apps
    /// open their credentials with `secrets`.
    pub fn providers(&self, secrets: SecretBox) -> anyhow::Result<Providers> {
        let mut providers = Providers {
            apps: Some(Arc::new(
                AppClients::new(secrets, self.network.clone())
                    .with_android_channels(self.android_channels.clone()),
            )),
            health: Arc::new(ProviderHealth::new(self.health.clone())),
            ..Providers::default()
        };
        if let Some(apns) = &self.apns {
            providers.apns = Some(Arc::new(ApnsProvider::from_config(apns, &self.network)?));
        }
        if let Some(fcm) = &self.fcm {
            providers.fcm = Some(Arc::new(
                FcmProvider::from_config(fcm, &self.network)?
                    .with_android_channels(self.android_channels.clone()),
            ));
        }
        Ok(providers)
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct DatabaseConfig {
    /// `sqlite://PATH?mode=rwc` or `postgres://USER@HOST/DB`. May carry a password, so it
    /// is kept secret: `Debug` prints `[REDACTED]`.
    #[serde(serialize_with = "serialize_secret")]
    pub url: SecretString,
    /// Upper bound of the connection pool.
    pub max_connections: u32,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct LogConfig {
    /// A `tracing` filter such as `info` or `stilla=debug,tower_http=info`.
    pub filter: String,
}

// serde's `serialize_with` hands over a reference to the field as it is.
#[allow(clippy::ref_option)]
pub(crate) fn serialize_optional_secret<S: serde::Serializer>(
    secret: &Option<SecretString>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match secret {
        Some(secret) => serialize_secret(secret, s),
        None => s.serialize_none(),
    }
}

fn serialize_secret<S: serde::Serializer>(secret: &SecretString, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose_secret())
}

impl Config {
    /// The effective settings as JSON for a person to read (`stilla check-config`), every
    /// secret replaced by `[REDACTED]`: the sealing key, the proxy's password, and the
    /// password inside a database URL (the rest of the URL stays, to be checked).
    pub fn redacted(&self) -> serde_json::Value {
        let mut value = serde_json::to_value(self).unwrap_or_default();
        redact(&mut value);
        if let Some(url) = value.pointer_mut("/database/url") {
            *url = serde_json::Value::String(without_password(self.database.url.expose_secret()));
        }
        value
    }
}

/// A database URL with the password of its `user:password@` part redacted.
fn without_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((user_info, host)) if user_info.contains(':') => {
            let user = user_info
                .split_once(':')
                .map_or(user_info, |(user, _)| user);
            format!(
                "{scheme}://{user}:[REDACTED]@{host}{}",
                &rest[authority_end..]
            )
        }
        _ => url.to_owned(),
    }
}

/// Replaces the value of every field named as a secret (`key`, `password`, `secret`,
/// `token`) that is set.
fn redact(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(fields) => {
            for (name, field) in fields.iter_mut() {
                let secret = ["key", "password", "secret", "token"]
                    .iter()
                    .any(|word| name == word || name.ends_with(&format!("_{word}")));
                if secret && !field.is_null() {
                    *field = serde_json::Value::String("[REDACTED]".to_owned());
                } else {
                    redact(field);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(redact),
        _ => {}
    }
}

/// The defaults, written once: `config/default.toml`, built into the binary.
pub const DEFAULTS_TOML: &str = include_str!("../config/default.toml");

fn defaults() -> Figment {
    Figment::from(Toml::string(DEFAULTS_TOML))
}

impl Default for Config {
    fn default() -> Self {
        defaults()
            .extract()
            .expect("the built-in config/default.toml is a whole, valid configuration")
    }
}

impl Config {
    /// Layers the optional file and then the `STILLA_*` environment over the defaults.
    pub fn load(file: Option<&Path>) -> Result<Self, Box<figment::Error>> {
        let mut figment = defaults();
        if let Some(file) = file {
            figment = figment.merge(Toml::file_exact(file));
        }
        figment
            .merge(Env::prefixed("STILLA_").split("__"))
            .extract()
            .map_err(Box::new)
    }

    pub fn database_url(&self) -> &str {
        self.database.url.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn check_config_prints_no_secret() {
        assert_eq!(
            super::without_password(
                "postgres://stilla:hunter2@db.region.se:5432/stilla?sslmode=require"
            ),
            "postgres://stilla:[REDACTED]@db.region.se:5432/stilla?sslmode=require"
        );
        assert_eq!(
            super::without_password("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
        assert_eq!(
            super::without_password("sqlite://stilla.db?mode=rwc"),
            "sqlite://stilla.db?mode=rwc"
        );
        let mut config = super::Config::load(None).unwrap();
        config.database.url = secrecy::SecretString::from("postgres://u:hunter2@h/db".to_owned());
        config.secrets.key = Some(secrecy::SecretString::from("c2VjcmV0LWtleQ==".to_owned()));
        let shown = serde_json::to_string(&config.redacted()).unwrap();
        assert!(
            !shown.contains("hunter2") && !shown.contains("c2VjcmV0LWtleQ=="),
            "{shown}"
        );
        assert!(shown.contains("postgres://u:[REDACTED]@h/db"), "{shown}");
        assert!(
            shown.contains("\"max_connections\""),
            "the rest is shown: {shown}"
        );
    }

    use super::*;

    #[test]
    fn debug_output_never_shows_the_database_url() {
        let mut config = Config::default();
        config.database.url = SecretString::from("postgres://stilla:hunter2@db/stilla");
        let printed = format!("{config:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
    }

    #[test]
    fn the_built_in_defaults_are_a_whole_configuration() {
        let config = Config::default();
        assert_eq!(config.listen.port(), 8080);
        assert_eq!(config.limits.failed_auth_per_minute, 20);
        assert_eq!(config.delivery.retry.max_age_minutes, 60);
        assert_eq!(config.console.session_policy().idle.num_minutes(), 30);
    }

    #[test]
    fn a_section_given_in_part_keeps_its_other_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stilla.toml");
        std::fs::write(
            &path,
            "[limits]\nbody_bytes = 2048\n[delivery.retry]\nbase_ms = 5\n\
             [push.android_channels]\nurgent = \"region_alarm\"\n",
        )
        .unwrap();
        let config = Config::load(Some(&path)).unwrap();
        assert_eq!(config.limits.body_bytes, 2048);
        assert_eq!(
            config.limits.import_body_bytes,
            Config::default().limits.import_body_bytes
        );
        assert_eq!(config.delivery.retry.base_ms, 5);
        assert_eq!(config.delivery.retry.max_backoff_seconds, 600);
        let channels = &config.push.android_channels;
        assert_eq!(
            (channels.urgent.as_str(), channels.info.as_str()),
            ("region_alarm", "stilla_info")
        );
    }

    #[test]
    fn an_unknown_setting_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stilla.toml");
        std::fs::write(&path, "[limits]\nbody_byte = 2048\n").unwrap();
        let error = Config::load(Some(&path)).unwrap_err().to_string();
        assert!(error.contains("body_byte"), "{error}");
    }

    #[test]
    fn a_file_overrides_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stilla.toml");
        std::fs::write(
            &path,
            "listen = \"0.0.0.0:9000\"\n[database]\nmax_connections = 3\n",
        )
        .unwrap();
        let config = Config::load(Some(&path)).unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.database.max_connections, 3);
        assert_eq!(config.database_url(), "sqlite://stilla.db?mode=rwc");
    }
}
