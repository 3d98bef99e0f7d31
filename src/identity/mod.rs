//! Signing in through the organisation's identity provider (OpenID Connect): the
//! tenant's settings, the relying party's protocol work, and the sign-in that turns a
//! verified ID token into a console session for an employee Stilla already knows.
pub mod oidc;
pub mod settings;
pub mod sign_in;

use crate::secrets::SecretBox;

/// What sign-in through identity providers needs, shared by every request.
#[derive(Clone, Debug)]
pub struct Identity {
    pub oidc: oidc::Oidc,
    /// Opens each tenant's sealed client secret.
    pub secrets: SecretBox,
}

impl Identity {
    pub fn new(secrets: SecretBox) -> Self {
        Identity {
            oidc: oidc::Oidc::default(),
            secrets,
        }
    }
}
