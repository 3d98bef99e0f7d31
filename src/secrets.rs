//! Secrets Stilla must keep and use again (a tenant's identity-provider client secret,
//! later its push credentials), sealed at rest with AES-256-GCM under one key from the
//! configuration. Each sealed value is bound to what it is for (tenant and field, as
//! associated data), so a copied ciphertext does not open in another tenant's row.
use std::{path::PathBuf, sync::Arc};

use aes_gcm::{
    Aes256Gcm, Key, Nonce,
    aead::{Aead, KeyInit, Payload},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::OnceCell;

use crate::error::{AppError, AppResult};

/// The version tag in front of every sealed value: a later key scheme can tell its own.
const SEALED_PREFIX: &str = "v1:";
const NONCE_LEN: usize = 12;

/// Where the key comes from (`[secrets]`): the key itself, or a file holding it, made
/// with a new random key the first time a secret is sealed if it does not exist.
#[derive(Clone, Debug)]
pub enum KeySource {
    Inline(SecretString),
    File(PathBuf),
}

/// Seals and opens secrets. The key is read (or made) when first needed, so a service
/// that keeps no secret never touches the key file.
#[derive(Clone)]
pub struct SecretBox {
    source: KeySource,
    cipher: Arc<OnceCell<Aes256Gcm>>,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretBox").finish_non_exhaustive()
    }
}

impl SecretBox {
    pub fn new(source: KeySource) -> Self {
        SecretBox {
            source,
            cipher: Arc::default(),
        }
    }

    /// A box with a fixed key, for tests.
    pub fn with_key(key: [u8; 32]) -> Self {
        Self::new(KeySource::Inline(SecretString::from(STANDARD.encode(key))))
    }

    async fn cipher(&self) -> AppResult<&Aes256Gcm> {
        self.cipher
            .get_or_try_init(async || {
                let key = load_key(&self.source).await?;
                Ok::<_, AppError>(Aes256Gcm::new(&Key::<Aes256Gcm>::from(key)))
            })
            .await
    }

    /// `plain` sealed for `purpose`, as text for a database column.
    pub async fn seal(&self, purpose: &str, plain: &str) -> AppResult<String> {
        let cipher = self.cipher().await?;
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: plain.as_bytes(),
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("sealing a secret failed"))?;
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        Ok(format!("{SEALED_PREFIX}{}", STANDARD.encode(bytes)))
    }

    /// Opens what [`SecretBox::seal`] sealed for the same `purpose` under the same key.
    pub async fn open(&self, purpose: &str, sealed: &str) -> AppResult<SecretString> {
        let cipher = self.cipher().await?;
        let unreadable = || {
            AppError::Internal(anyhow::anyhow!(
                "a stored secret does not open with the configured secrets key \
                 (was [secrets] key changed?); set the secret again"
            ))
        };
        let bytes = sealed
            .strip_prefix(SEALED_PREFIX)
            .and_then(|b| STANDARD.decode(b).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or_else(unreadable)?;
        let (nonce, body) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| unreadable())?;
        let plain = cipher
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: body,
                    aad: purpose.as_bytes(),
                },
            )
            .map_err(|_| unreadable())?;
        String::from_utf8(plain)
            .map(SecretString::from)
            .map_err(|_| unreadable())
    }
}

/// The 32-byte key: base64 inline or in the file; a missing file is made with a new key,
/// readable by this user only.
async fn load_key(source: &KeySource) -> AppResult<[u8; 32]> {
    let encoded = match source {
        KeySource::Inline(key) => key.expose_secret().trim().to_owned(),
        KeySource::File(path) => match tokio::fs::read_to_string(path).await {
            Ok(text) => text.trim().to_owned(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rng().fill_bytes(&mut key);
                let encoded = STANDARD.encode(key);
                match write_private(path, &encoded) {
                    Ok(()) => {
                        tracing::info!(path = %path.display(), "made a new secrets key file");
                        encoded
                    }
                    // Made a moment ago by another box or process: theirs is the key.
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                        tokio::fs::read_to_string(path)
                            .await
                            .map_err(|e| {
                                anyhow::anyhow!(
                                    "cannot read the secrets key file {}: {e}",
                                    path.display()
                                )
                            })?
                            .trim()
                            .to_owned()
                    }
                    Err(e) => {
                        return Err(anyhow::anyhow!(
                            "cannot create the secrets key file {}: {e}",
                            path.display()
                        )
                        .into());
                    }
                }
            }
            Err(e) => {
                return Err(anyhow::anyhow!(
                    "cannot read the secrets key file {}: {e}",
                    path.display()
                )
                .into());
            }
        },
    };
    let key = STANDARD
        .decode(&encoded)
        .ok()
        .and_then(|k| <[u8; 32]>::try_from(k).ok());
    key.ok_or_else(|| {
        anyhow::anyhow!("[secrets] key must be 32 bytes in base64 (`openssl rand -base64 32`)")
            .into()
    })
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_sealed_secret_opens_only_for_its_purpose_and_key() {
        let secrets = SecretBox::with_key([7; 32]);
        let sealed = secrets.seal("tenant-a/client", "hunter2").await.unwrap();
        assert!(!sealed.contains("hunter2"));
        let opened = secrets.open("tenant-a/client", &sealed).await.unwrap();
        assert_eq!(opened.expose_secret(), "hunter2");
        assert!(secrets.open("tenant-b/client", &sealed).await.is_err());
        let other = SecretBox::with_key([8; 32]);
        assert!(other.open("tenant-a/client", &sealed).await.is_err());
        // Two seals of one secret differ (a fresh nonce each).
        assert_ne!(
            sealed,
            secrets.seal("tenant-a/client", "hunter2").await.unwrap()
        );
    }

    #[tokio::test]
    async fn a_missing_key_file_is_made_once_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stilla.key");
        let sealed = SecretBox::new(KeySource::File(path.clone()))
            .seal("p", "s")
            .await
            .unwrap();
        assert!(path.exists());
        // A new box (a restart) reads the same key back.
        let reopened = SecretBox::new(KeySource::File(path))
            .open("p", &sealed)
            .await;
        assert_eq!(reopened.unwrap().expose_secret(), "s");
    }
}
