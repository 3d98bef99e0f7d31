//! OpenID Connect as a relying party, with the `openidconnect` crate: discovery (kept
//! for an hour per issuer, read again at once when an ID token names a signing key the
//! kept key set lacks: the provider rotated its keys), the authorization request with
//! PKCE, `state` and `nonce`, the code exchange, and the ID token's checks — signature
//! against the provider's keys, issuer, audience, expiry and issue time within the
//! allowed clock skew, nonce, and an `acr` value where one is required.
use std::{sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use openidconnect::{
    AuthenticationContextClass, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken,
    EmptyExtraTokenFields, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdToken, IdTokenFields,
    IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, PostLogoutRedirectUrl,
    ProviderMetadataWithLogout, RedirectUrl, Scope, StandardErrorResponse, StandardTokenResponse,
    TokenResponse,
    core::{
        CoreAuthDisplay, CoreAuthPrompt, CoreAuthenticationFlow, CoreErrorResponseType,
        CoreGenderClaim, CoreJsonWebKey, CoreJweContentEncryptionAlgorithm,
        CoreJwsSigningAlgorithm, CoreRevocableToken, CoreRevocationErrorResponse,
        CoreTokenIntrospectionResponse, CoreTokenType,
    },
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// How far the provider's clock may be from ours when its token's times are checked.
pub const CLOCK_SKEW: chrono::Duration = chrono::Duration::minutes(2);
/// How long discovered metadata and keys are used before they are read again.
const DISCOVERY_TTL: Duration = Duration::from_hours(1);
/// A provider that does not answer within this is reported, not waited for.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(10);

/// Every claim of the ID token beside the standard ones, kept by name: the groups
/// claim, Entra ID's `oid`, or whichever claim a tenant names its people by.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct OtherClaims {
    #[serde(flatten)]
    pub all: serde_json::Map<String, serde_json::Value>,
}

impl openidconnect::AdditionalClaims for OtherClaims {}

type Fields = IdTokenFields<
    OtherClaims,
    EmptyExtraTokenFields,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;
type Tokens = StandardTokenResponse<Fields, CoreTokenType>;
type Claims = openidconnect::IdTokenClaims<OtherClaims, CoreGenderClaim>;
type OidcClient = Client<
    OtherClaims,
    CoreAuthDisplay,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJsonWebKey,
    CoreAuthPrompt,
    StandardErrorResponse<CoreErrorResponseType>,
    Tokens,
    CoreTokenIntrospectionResponse,
    CoreRevocableToken,
    CoreRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;
type SignedIdToken = IdToken<
    OtherClaims,
    CoreGenderClaim,
    CoreJweContentEncryptionAlgorithm,
    CoreJwsSigningAlgorithm,
>;

/// One tenant's provider, as far as a sign-in needs it.
#[derive(Clone, Debug)]
pub struct RelyingParty {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Where the provider sends the browser back: `<public_url>/console/sign-in/callback`.
    pub redirect_url: String,
    pub required_acr: Option<String>,
}

/// What goes to the provider, and what must be kept to check what comes back.
pub struct AuthorizationRequest {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: String,
}

/// A verified ID token: its claims and the token itself (for signing out there).
#[derive(Debug)]
pub struct VerifiedIdentity {
    pub claims: serde_json::Map<String, serde_json::Value>,
    pub id_token: String,
}

/// Why a sign-in through the provider failed, in terms a person and a log can use.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("the identity provider could not be reached or read: {0}")]
    Unreachable(String),
    #[error("the identity provider refused the sign-in: {0}")]
    Refused(String),
    #[error("the identity provider's answer did not hold up: {0}")]
    Invalid(String),
    #[error("the sign-in's assurance level is not the one required: {0}")]
    Assurance(String),
}

/// The relying party's shared parts: one HTTP client and the discovery cache.
#[derive(Clone)]
pub struct Oidc {
    http: reqwest::Client,
    discovered: moka::future::Cache<String, Arc<ProviderMetadataWithLogout>>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Oidc").finish_non_exhaustive()
    }
}

impl Default for Oidc {
    fn default() -> Self {
        let http = reqwest::Client::builder()
            // The token endpoint must answer itself (the OAuth 2.0 security BCP): a
            // redirect there is an error, never followed with the code in hand.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PROVIDER_TIMEOUT)
            .build()
            .expect("an HTTP client with rustls builds");
        Oidc {
            http,
            discovered: moka::future::Cache::builder()
                .time_to_live(DISCOVERY_TTL)
                .max_capacity(10_000)
                .build(),
        }
    }
}

impl Oidc {
    /// The provider's metadata and keys: kept, or read now.
    async fn metadata(
        &self,
        issuer: &str,
        fresh: bool,
    ) -> Result<Arc<ProviderMetadataWithLogout>, OidcError> {
        if fresh {
            self.discovered.invalidate(issuer).await;
        }
        self.discovered
            .try_get_with(issuer.to_owned(), async {
                let url = IssuerUrl::new(issuer.to_owned())
                    .map_err(|e| OidcError::Unreachable(format!("issuer URL: {e}")))?;
                let metadata = ProviderMetadataWithLogout::discover_async(url, &self.http)
                    .await
                    .map_err(|e| OidcError::Unreachable(describe(&e)))?;
                Ok(Arc::new(metadata))
            })
            .await
            .map_err(|e: Arc<OidcError>| match e.as_ref() {
                OidcError::Unreachable(m) => OidcError::Unreachable(m.clone()),
                other => OidcError::Unreachable(other.to_string()),
            })
    }

    /// Reads the provider's discovery document now (an admin saving its settings sees
    /// at once whether the issuer is right).
    pub async fn check_issuer(&self, issuer: &str) -> Result<(), OidcError> {
        self.metadata(issuer, true).await.map(|_| ())
    }

    async fn client(&self, rp: &RelyingParty, fresh: bool) -> Result<OidcClient, OidcError> {
        let metadata = self.metadata(&rp.issuer, fresh).await?;
        let redirect = RedirectUrl::new(rp.redirect_url.clone())
            .map_err(|e| OidcError::Invalid(format!("redirect URL: {e}")))?;
        Ok(OidcClient::from_provider_metadata(
            (*metadata).clone(),
            ClientId::new(rp.client_id.clone()),
            Some(ClientSecret::new(
                rp.client_secret.expose_secret().to_owned(),
            )),
        )
        .set_redirect_uri(redirect))
    }

    /// The URL that sends a browser to the provider: Authorization Code flow with PKCE
    /// (S256), a fresh `state` and `nonce`, the scopes that carry e-mail and name.
    pub async fn authorization_request(
        &self,
        rp: &RelyingParty,
    ) -> Result<AuthorizationRequest, OidcError> {
        let client = self.client(rp, false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".to_owned()))
            .add_scope(Scope::new("profile".to_owned()))
            .set_pkce_challenge(challenge);
        if let Some(acr) = &rp.required_acr {
            request = request.add_auth_context_value(AuthenticationContextClass::new(acr.clone()));
        }
        let (url, state, nonce) = request.url();
        Ok(AuthorizationRequest {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    /// Exchanges the code (with the PKCE verifier) and verifies the ID token against the
    /// `nonce` this browser's request carried, at `now`.
    pub async fn finish(
        &self,
        rp: &RelyingParty,
        code: &str,
        pkce_verifier: &str,
        nonce: &str,
        now: DateTime<Utc>,
    ) -> Result<VerifiedIdentity, OidcError> {
        let client = self.client(rp, false).await?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| OidcError::Unreachable(format!("no token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| match &e {
                openidconnect::RequestTokenError::ServerResponse(answer) => {
                    OidcError::Refused(answer.to_string())
                }
                other => OidcError::Unreachable(describe(other)),
            })?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| OidcError::Invalid("the token response has no ID token".to_owned()))?;
        let nonce = Nonce::new(nonce.to_owned());
        let claims = match verify(&client, rp, id_token, &nonce, now) {
            // A key this client does not know: the provider may have rotated its keys
            // since they were read. Read them again, once.
            Err(Rejection::UnknownKey) => {
                let client = self.client(rp, true).await?;
                verify(&client, rp, id_token, &nonce, now)
            }
            other => other,
        }
        .map_err(Rejection::into_error)?;
        let mut all = match serde_json::to_value(&claims) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        all.insert("sub".to_owned(), claims.subject().as_str().into());
        Ok(VerifiedIdentity {
            claims: all,
            id_token: id_token.to_string(),
        })
    }

    /// Where to send a browser to sign out at the provider too (RP-initiated logout),
    /// if it offers that; it comes back to `after`.
    pub async fn logout_url(
        &self,
        rp: &RelyingParty,
        id_token_hint: Option<&str>,
        after: &str,
    ) -> Option<String> {
        let metadata = self.metadata(&rp.issuer, false).await.ok()?;
        let endpoint = metadata
            .additional_metadata()
            .end_session_endpoint
            .clone()?;
        let mut request = openidconnect::LogoutRequest::from(endpoint)
            .set_client_id(ClientId::new(rp.client_id.clone()));
        if let Some(hint) = id_token_hint.and_then(|t| t.parse::<SignedIdToken>().ok()) {
            request = request.set_id_token_hint(&hint);
        }
        if let Ok(after) = PostLogoutRedirectUrl::new(after.to_owned()) {
            request = request.set_post_logout_redirect_uri(after);
        }
        Some(request.http_get_url().to_string())
    }
}

enum Rejection {
    UnknownKey,
    Other(OidcError),
}

impl Rejection {
    fn into_error(self) -> OidcError {
        match self {
            Rejection::UnknownKey => OidcError::Invalid(
                "the ID token is signed with a key the provider does not publish".to_owned(),
            ),
            Rejection::Other(e) => e,
        }
    }
}

fn verify(
    client: &OidcClient,
    rp: &RelyingParty,
    id_token: &SignedIdToken,
    nonce: &Nonce,
    now: DateTime<Utc>,
) -> Result<Claims, Rejection> {
    use openidconnect::{ClaimsVerificationError as E, SignatureVerificationError as S};
    let required_acr = rp.required_acr.clone();
    let verifier = client
        .id_token_verifier()
        // Expiry is checked against a clock held back by the skew: a token that expired
        // less than that ago by our clock may not have by the provider's.
        .set_time_fn(move || now - CLOCK_SKEW)
        .set_issue_time_verifier_fn(move |issued| {
            if issued > now + CLOCK_SKEW {
                Err(format!("issued in the future ({issued})"))
            } else {
                Ok(())
            }
        })
        .set_auth_context_verifier_fn(move |acr| match (&required_acr, acr) {
            (None, _) => Ok(()),
            (Some(required), Some(got)) if got.as_str() == required => Ok(()),
            (Some(required), got) => Err(format!(
                "required `{required}`, got `{}`",
                got.map_or("none", |g| g.as_str())
            )),
        });
    id_token
        .claims(&verifier, nonce)
        .cloned()
        .map_err(|e| match e {
            E::SignatureVerification(S::NoMatchingKey) => Rejection::UnknownKey,
            E::InvalidAuthContext(m) => Rejection::Other(OidcError::Assurance(m)),
            other => Rejection::Other(OidcError::Invalid(other.to_string())),
        })
}

/// An error with its causes, one line.
fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
