//! A stand-in OpenID Connect provider for the sign-in tests: discovery, a key set, an
//! authorization endpoint that answers at once for the person the test names, a token
//! endpoint that checks the client's secret and the PKCE verifier, and an end-session
//! endpoint. It speaks the real wire format (RS256 ID tokens, JWKS with `kid`), and a
//! test can make it misbehave in each way a relying party must catch: an expired token,
//! one signed with a key it does not publish, the wrong nonce, audience or issuer, a
//! missing `acr`, or keys rotated since they were last read.
use std::{
    collections::HashMap,
    sync::{Arc, Mutex, OnceLock},
};

use axum::{
    Form, Json, Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use rsa::{pkcs8::EncodePrivateKey, traits::PublicKeyParts};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "stilla-console";
pub const CLIENT_SECRET: &str = "s3cret-of-the-client";

/// An RSA signing key with its key id.
struct Key {
    kid: &'static str,
    pem: String,
    jwk: Value,
}

fn make_key(kid: &'static str) -> Key {
    let mut rng = rsa::rand_core::OsRng;
    let private = rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap();
    let public = rsa::RsaPublicKey::from(&private);
    Key {
        kid,
        pem: private
            .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap()
            .to_string(),
        jwk: json!({
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        }),
    }
}

/// Three keys, made once per run: the published one, its successor, and one the
/// provider never publishes (a forger's).
fn keys() -> &'static [Key; 3] {
    static KEYS: OnceLock<[Key; 3]> = OnceLock::new();
    KEYS.get_or_init(|| [make_key("k1"), make_key("k2"), make_key("k1")])
}

/// How the next ID token goes wrong, if at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flaw {
    None,
    Expired,
    /// Signed with a key that has a published key's id but is not it.
    ForgedSignature,
    WrongNonce,
    WrongAudience,
    WrongIssuer,
}

struct Inner {
    base: String,
    /// The claims of the person who signs in next.
    person: Value,
    flaw: Flaw,
    acr: Option<String>,
    /// Index into `keys()` of the key that signs and is published.
    key: usize,
    /// Codes handed out and not yet redeemed: (nonce, PKCE challenge, redirect URI).
    codes: HashMap<String, (String, String, String)>,
    /// How often the key set was read.
    jwks_reads: usize,
}

#[derive(Clone)]
pub struct StandInIdp {
    inner: Arc<Mutex<Inner>>,
    pub issuer: String,
}

impl StandInIdp {
    pub async fn start() -> StandInIdp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let inner = Arc::new(Mutex::new(Inner {
            base: issuer.clone(),
            person: json!({}),
            flaw: Flaw::None,
            acr: None,
            key: 0,
            codes: HashMap::new(),
            jwks_reads: 0,
        }));
        let idp = StandInIdp { inner, issuer };
        let router = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(idp.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        idp
    }

    /// The claims of whoever signs in next (beside `iss`, `aud`, `exp`, … which the
    /// stand-in writes).
    pub fn next_person(&self, claims: Value) {
        let mut inner = self.inner.lock().unwrap();
        inner.person = claims;
        inner.flaw = Flaw::None;
    }

    pub fn flaw(&self, flaw: Flaw) {
        self.inner.lock().unwrap().flaw = flaw;
    }

    pub fn acr(&self, acr: Option<&str>) {
        self.inner.lock().unwrap().acr = acr.map(str::to_owned);
    }

    /// From now on sign with the next key and publish only it.
    pub fn rotate_keys(&self) {
        self.inner.lock().unwrap().key = 1;
    }

    pub fn jwks_reads(&self) -> usize {
        self.inner.lock().unwrap().jwks_reads
    }
}

async fn discovery(State(idp): State<StandInIdp>) -> Json<Value> {
    let base = idp.issuer.clone();
    Json(json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/authorize"),
        "token_endpoint": format!("{base}/token"),
        "jwks_uri": format!("{base}/jwks"),
        "end_session_endpoint": format!("{base}/logout"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic"],
    }))
}

async fn jwks(State(idp): State<StandInIdp>) -> Json<Value> {
    let mut inner = idp.inner.lock().unwrap();
    inner.jwks_reads += 1;
    Json(json!({"keys": [keys()[inner.key].jwk.clone()]}))
}

/// Signs the person in at once and sends the browser back with a code.
async fn authorize(
    State(idp): State<StandInIdp>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let param = |name: &str| query.get(name).cloned().unwrap_or_default();
    if param("client_id") != CLIENT_ID
        || param("response_type") != "code"
        || param("code_challenge_method") != "S256"
        || !param("scope").split(' ').any(|s| s == "openid")
    {
        return (StatusCode::BAD_REQUEST, "bad authorization request").into_response();
    }
    let code = format!("code-{}", uuid::Uuid::now_v7().simple());
    idp.inner.lock().unwrap().codes.insert(
        code.clone(),
        (
            param("nonce"),
            param("code_challenge"),
            param("redirect_uri"),
        ),
    );
    let back = format!(
        "{}?{}",
        param("redirect_uri"),
        serde_urlencoded::to_string([("code", code), ("state", param("state"))]).unwrap()
    );
    Redirect::to(&back).into_response()
}

/// Redeems a code once: the client's secret (Basic), the redirect URI and the PKCE
/// verifier must match what the authorization request carried.
async fn token(
    State(idp): State<StandInIdp>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let refuse =
        |error: &str| (StatusCode::BAD_REQUEST, Json(json!({"error": error}))).into_response();
    let expected_auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected_auth.as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    let field = |name: &str| form.get(name).cloned().unwrap_or_default();
    let mut inner = idp.inner.lock().unwrap();
    let Some((nonce, challenge, redirect_uri)) = inner.codes.remove(&field("code")) else {
        return refuse("invalid_grant");
    };
    let verifier_hash = URL_SAFE_NO_PAD.encode(Sha256::digest(field("code_verifier").as_bytes()));
    if field("grant_type") != "authorization_code"
        || verifier_hash != challenge
        || field("redirect_uri") != redirect_uri
    {
        return refuse("invalid_grant");
    }
    let now = chrono::Utc::now().timestamp();
    let mut claims = json!({
        "iss": inner.base,
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 300,
        "nonce": nonce,
    });
    match inner.flaw {
        Flaw::None | Flaw::ForgedSignature => {}
        // Beyond the relying party's allowed clock skew.
        Flaw::Expired => {
            claims["iat"] = json!(now - 900);
            claims["exp"] = json!(now - 600);
        }
        Flaw::WrongNonce => claims["nonce"] = json!("not-the-nonce-that-was-sent"),
        Flaw::WrongAudience => claims["aud"] = json!("another-client"),
        Flaw::WrongIssuer => claims["iss"] = json!("https://idp.elsewhere.example"),
    }
    if let Some(acr) = &inner.acr {
        claims["acr"] = json!(acr);
    }
    for (name, value) in inner.person.as_object().cloned().unwrap_or_default() {
        claims[name] = value;
    }
    let signer = if inner.flaw == Flaw::ForgedSignature {
        &keys()[2]
    } else {
        &keys()[inner.key]
    };
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(signer.kid.to_owned());
    let id_token = jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_rsa_pem(signer.pem.as_bytes()).unwrap(),
    )
    .unwrap();
    Json(json!({
        "access_token": "opaque-access-token",
        "token_type": "Bearer",
        "expires_in": 300,
        "id_token": id_token,
    }))
    .into_response()
}
