//! APNs end to end, against a stand-in for Apple that speaks its wire format over TLS
//! HTTP/2: `POST /3/device/<token>`, the `apns-*` headers, `authorization: bearer <JWT>`
//! checked against the key's public part, JSON `reason` bodies, 410 with `timestamp`;
//! reached through a region's `CONNECT` proxy and trusted through the region's own CA.
use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex, OnceLock},
};

use axum::{
    Json, Router,
    extract::{Path, Request, State},
    http::{StatusCode, Version},
    response::{IntoResponse, Response},
    routing::post,
};
use chrono::Duration;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use secrecy::SecretString;
use serde_json::{Value, json};
use stilla::{
    delivery::{DeliveryConfig, Dispatcher},
    push::{
        Provider, Providers, Push, PushOutcome,
        apns::{ApnsCredentials, ApnsProvider},
        fcm::FcmProvider,
        transport::{Lanes, NetworkConfig, ProxyConfig},
    },
    reachability::Priority,
};
use uuid::Uuid;

use crate::{
    helpers::{Later, TestApp, both_stores},
    network::{ConnectProxy, TestCa},
    notices::{always_working, deliveries, employee_token, send},
};

pub const TEAM_ID: &str = "DEF123GHIJ";
pub const KEY_ID: &str = "ABC123DEFG";
pub const TOPIC: &str = "se.region.stilla";

/// A throwaway P-256 key as Apple hands it out (PKCS#8 PEM, the .p8 file), and its
/// public part.
pub fn p8() -> &'static (String, String) {
    static KEY: OnceLock<(String, String)> = OnceLock::new();
    KEY.get_or_init(|| {
        let key = rcgen::KeyPair::generate().unwrap();
        (key.serialize_pem(), key.public_key_pem())
    })
}

/// What a send carried.
#[derive(Clone, Debug)]
pub struct Received {
    pub token: String,
    pub headers: HashMap<String, String>,
    pub body: Value,
    pub bearer: String,
    /// The status it was answered with.
    pub answered: u16,
}

/// A signing key Apple knows: its id, its team, its public part, and the topic (bundle
/// id) the team may push to.
#[derive(Clone)]
pub struct AppleKey {
    pub key_id: String,
    pub team_id: String,
    pub public_pem: String,
    pub topic: String,
}

#[derive(Default)]
pub struct Apple {
    received: Mutex<Vec<Received>>,
    /// The next answers, as Apple gives them: status and `reason`.
    script: Mutex<VecDeque<(u16, &'static str)>>,
    teams: Mutex<Vec<AppleKey>>,
    /// How long each answer is held back (a round trip).
    hold: Mutex<std::time::Duration>,
}

impl Apple {
    /// Knows another team's key (a tenant's own app).
    pub fn trust(&self, key: AppleKey) {
        self.teams.lock().unwrap().push(key);
    }

    /// The next send gets this answer (200: accepted, as if unscripted).
    pub fn answer_next(&self, status: u16, reason: &'static str) {
        self.script.lock().unwrap().push_back((status, reason));
    }

    /// Holds every answer back this long from now on.
    pub fn hold_answers(&self, hold: std::time::Duration) {
        *self.hold.lock().unwrap() = hold;
    }

    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

#[derive(serde::Deserialize)]
struct ProviderClaims {
    iss: String,
    iat: i64,
}

fn refuse(status: u16, reason: &str) -> Response {
    let mut body = json!({ "reason": reason });
    if status == 410 {
        body["timestamp"] = json!(chrono::Utc::now().timestamp_millis());
    }
    (StatusCode::from_u16(status).unwrap(), Json(body)).into_response()
}

/// Apple's checks, in the order its documentation lists the reasons.
fn check(request: &Request, token: &str, teams: &[AppleKey]) -> Result<(), (u16, &'static str)> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let Some(bearer) = header("authorization") else {
        return Err((403, "MissingProviderToken"));
    };
    let jwt = bearer.strip_prefix("bearer ").unwrap_or("");
    let kid = jsonwebtoken::decode_header(jwt)
        .ok()
        .and_then(|h| h.kid)
        .unwrap_or_default();
    let Some(team) = teams.iter().find(|t| t.key_id == kid) else {
        return Err((403, "InvalidProviderToken"));
    };
    let key = DecodingKey::from_ec_pem(team.public_pem.as_bytes()).unwrap();
    let mut validation = Validation::new(Algorithm::ES256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let Ok(data) = jsonwebtoken::decode::<ProviderClaims>(jwt, &key, &validation) else {
        return Err((403, "InvalidProviderToken"));
    };
    if data.claims.iss != team.team_id {
        return Err((403, "InvalidProviderToken"));
    }
    if chrono::Utc::now().timestamp() - data.claims.iat > 3600 {
        return Err((403, "ExpiredProviderToken"));
    }
    let topic = team.topic.as_str();
    match header("apns-topic") {
        None => return Err((400, "MissingTopic")),
        Some(t) if t != topic => return Err((400, "TopicDisallowed")),
        Some(_) => {}
    }
    if !matches!(
        header("apns-push-type").as_deref(),
        Some("alert" | "background")
    ) {
        return Err((400, "InvalidPushType"));
    }
    if !matches!(header("apns-priority").as_deref(), None | Some("5" | "10")) {
        return Err((400, "BadPriority"));
    }
    if header("apns-collapse-id").is_some_and(|c| c.len() > 64) {
        return Err((400, "BadCollapseId"));
    }
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err((400, "BadDeviceToken"));
    }
    Ok(())
}

async fn device(
    State(apple): State<Arc<Apple>>,
    Path(token): Path<String>,
    request: Request,
) -> Response {
    if request.version() != Version::HTTP_2 {
        return (StatusCode::HTTP_VERSION_NOT_SUPPORTED, "HTTP/2 only").into_response();
    }
    let teams = apple.teams.lock().unwrap().clone();
    let checked = check(&request, &token, &teams);
    let headers = request
        .headers()
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("apns-"))
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap_or("").to_owned()))
        .collect();
    let bearer = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let bytes = axum::body::to_bytes(request.into_body(), 64 * 1024)
        .await
        .unwrap();
    if bytes.len() > 4096 {
        return refuse(413, "PayloadTooLarge");
    }
    let hold = *apple.hold.lock().unwrap();
    tokio::time::sleep(hold).await;
    let answer = match checked {
        Err(refused) => Some(refused),
        Ok(()) => apple.script.lock().unwrap().pop_front(),
    };
    apple.received.lock().unwrap().push(Received {
        token,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        bearer,
        answered: answer.map_or(200, |(status, _)| status),
    });
    match answer {
        Some((status, reason)) if status != 200 => refuse(status, reason),
        _ => (StatusCode::OK, [("apns-id", Uuid::new_v4().to_string())]).into_response(),
    }
}

pub fn router(apple: Arc<Apple>) -> Router {
    Router::new()
        .route("/3/device/{token}", post(device))
        .with_state(apple)
}

/// The stand-in on TLS HTTP/2 under `ca`; returns it and its base URL.
pub async fn stand_in(ca: &TestCa) -> (Arc<Apple>, String) {
    let apple = Arc::new(Apple::default());
    apple.trust(AppleKey {
        key_id: KEY_ID.to_owned(),
        team_id: TEAM_ID.to_owned(),
        public_pem: p8().1.clone(),
        topic: TOPIC.to_owned(),
    });
    let addr = ca.serve_h2(router(apple.clone())).await;
    (apple, format!("https://localhost:{}", addr.port()))
}

pub fn credentials() -> ApnsCredentials {
    ApnsCredentials {
        key_pem: SecretString::from(p8().0.clone()),
        key_id: KEY_ID.to_owned(),
        team_id: TEAM_ID.to_owned(),
        topic: TOPIC.to_owned(),
    }
}

const LANES: Lanes = Lanes {
    connections: 1,
    streams_per_connection: 100,
};

/// The region's network: its proxy (with credentials) and its CA, nothing else trusted.
fn region(ca: &TestCa, proxy_url: &str, user: Option<&str>) -> NetworkConfig {
    NetworkConfig {
        proxy: Some(ProxyConfig {
            url: proxy_url.to_owned(),
            username: user.map(str::to_owned),
            password: user.map(|_| SecretString::from("hemligt")),
        }),
        ca_file: Some(ca.ca_file.clone()),
        platform_roots: false,
        ..NetworkConfig::default()
    }
}

pub fn device_token(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

fn push(priority: Priority, token: &str) -> Push {
    let now = chrono::Utc::now();
    Push {
        token: token.to_owned(),
        title: "Larm".to_owned(),
        body: "Kom in".to_owned(),
        notice_id: Uuid::now_v7(),
        count: 2,
        unread: 7,
        platform: None,
        priority,
        expires_at: Some(now + Duration::minutes(30)),
        collapse_key: "notice-1".to_owned(),
        now,
    }
}

#[tokio::test]
async fn apns_goes_through_the_regions_proxy_and_ca_in_apples_wire_format() {
    let ca = TestCa::new();
    let (apple, base) = stand_in(&ca).await;
    let (proxy, proxy_url) = ConnectProxy::start(Some(("stilla", "hemligt"))).await;
    let apns = ApnsProvider::new(
        &credentials(),
        &base,
        &region(&ca, &proxy_url, Some("stilla")),
        LANES,
    )
    .unwrap();

    let urgent = push(Priority::Urgent, &device_token(1));
    assert_eq!(apns.send(&urgent).await, PushOutcome::Sent);
    let seen = apple.received()[0].clone();
    assert_eq!(seen.token, device_token(1));
    let h = &seen.headers;
    assert_eq!(h["apns-topic"], TOPIC);
    assert_eq!(h["apns-push-type"], "alert");
    assert_eq!(h["apns-priority"], "10");
    assert_eq!(
        h["apns-expiration"],
        urgent.expires_at.unwrap().timestamp().to_string()
    );
    assert_eq!(h["apns-collapse-id"], "notice-1");
    assert_eq!(seen.body["aps"]["alert"]["title"], "Larm");
    assert_eq!(
        seen.body["aps"]["badge"], 7,
        "the unread count, not the push's"
    );
    assert_eq!(seen.body["aps"]["interruption-level"], "time-sensitive");
    assert_eq!(seen.body["data"]["notice_id"], urgent.notice_id.to_string());
    let port = base.rsplit(':').next().unwrap();
    assert_eq!(proxy.tunnels(), vec![(format!("localhost:{port}"), true)]);

    // Info waits for a convenient moment on the phone.
    assert_eq!(
        apns.send(&push(Priority::Info, &device_token(1))).await,
        PushOutcome::Sent
    );
    assert_eq!(apple.received()[1].headers["apns-priority"], "5");
    // The provider token is reused, not signed per push.
    assert_eq!(apple.received()[0].bearer, apple.received()[1].bearer);

    // Apple calls the token expired: a new one is signed and the push goes once more.
    apple.answer_next(403, "ExpiredProviderToken");
    assert_eq!(
        apns.send(&push(Priority::Info, &device_token(1))).await,
        PushOutcome::Sent
    );
    let bearers: Vec<String> = apple.received().iter().map(|r| r.bearer.clone()).collect();
    assert_eq!(bearers.len(), 4);
    assert_eq!(bearers[2], bearers[1]);
    assert_ne!(
        bearers[3], bearers[2],
        "re-signed after ExpiredProviderToken"
    );

    apple.answer_next(410, "Unregistered");
    assert!(matches!(
        apns.send(&push(Priority::Info, &device_token(2))).await,
        PushOutcome::TokenGone { reason } if reason == "APNs 410: Unregistered"
    ));
    apple.answer_next(429, "TooManyRequests");
    assert!(matches!(
        apns.send(&push(Priority::Info, &device_token(2))).await,
        PushOutcome::Retry { .. }
    ));
    // Still one tunnel: every send went over the one HTTP/2 connection.
    assert_eq!(proxy.tunnels().len(), 1);
}

#[tokio::test]
async fn without_the_regions_ca_nothing_is_sent() {
    let ca = TestCa::new();
    let (apple, base) = stand_in(&ca).await;
    let network = NetworkConfig {
        platform_roots: true,
        ..NetworkConfig::default()
    };
    let apns = ApnsProvider::new(&credentials(), &base, &network, LANES).unwrap();
    let outcome = apns.send(&push(Priority::Info, &device_token(1))).await;
    assert!(
        matches!(&outcome, PushOutcome::Retry { .. }),
        "an untrusted certificate is a network fault: {outcome:?}"
    );
    assert!(apple.received().is_empty());
}

#[tokio::test]
async fn a_proxy_that_wants_credentials_lets_nothing_through_without_them() {
    let ca = TestCa::new();
    let (apple, base) = stand_in(&ca).await;
    let (proxy, proxy_url) = ConnectProxy::start(Some(("stilla", "hemligt"))).await;
    let apns =
        ApnsProvider::new(&credentials(), &base, &region(&ca, &proxy_url, None), LANES).unwrap();
    assert!(matches!(
        apns.send(&push(Priority::Info, &device_token(1))).await,
        PushOutcome::Retry { .. }
    ));
    assert!(apple.received().is_empty());
    assert!(proxy.tunnels().iter().all(|(_, opened)| !opened));
    assert!(!proxy.tunnels().is_empty());
}

#[tokio::test]
async fn fcm_goes_through_the_regions_proxy_and_ca_too() {
    let ca = TestCa::new();
    let (google, router) = crate::fcm::google();
    let addr = ca.serve_h2(router).await;
    let base = format!("https://localhost:{}", addr.port());
    let (proxy, proxy_url) = ConnectProxy::start(Some(("stilla", "hemligt"))).await;
    let fcm = FcmProvider::new(
        crate::fcm::account(&base, &crate::fcm::keys().0),
        &base,
        &region(&ca, &proxy_url, Some("stilla")),
        LANES,
    )
    .unwrap();
    let mut p = push(Priority::Important, "fcm-token");
    p.count = 1;
    assert_eq!(fcm.send(&p).await, PushOutcome::Sent);
    assert_eq!(google.received().len(), 1);
    // The OAuth token and the send both went through the proxy, to the same host.
    let tunnels = proxy.tunnels();
    assert!(tunnels.len() >= 2, "{tunnels:?}");
    assert!(
        tunnels
            .iter()
            .all(|(to, opened)| *opened && to == &format!("localhost:{}", addr.port()))
    );
}

async fn the_dispatcher_pushes_to_iphones_and_retires_unregistered_ones(app: TestApp) {
    let ca = TestCa::new();
    let (apple, base) = stand_in(&ca).await;
    let network = NetworkConfig {
        ca_file: Some(ca.ca_file.clone()),
        platform_roots: false,
        ..NetworkConfig::default()
    };
    let apns: Arc<dyn Provider> =
        Arc::new(ApnsProvider::new(&credentials(), &base, &network, LANES).unwrap());
    let providers = Providers {
        apns: Some(apns),
        ..Providers::default()
    };
    let unit = app.unit("Akuten", None).await;
    let role = app.role("Läkare").await;
    let mut people = Vec::new();
    for n in 1..=2 {
        let who = app
            .employee(&format!("lakare{n}@region.se"), &unit, &role)
            .await;
        always_working(&app, &who).await;
        let employee = employee_token(&app, &who).await;
        app.post(
            "/api/v1/me/push-registrations",
            &employee,
            json!({"provider": "apns", "token": device_token(n)}),
        )
        .await
        .expect(201);
        people.push((who, employee));
    }
    // One at a time: the first goes through and proves the key, then Apple calls the
    // second token gone — retired, as the set has delivered.
    apple.answer_next(200, "");
    apple.answer_next(410, "Unregistered");
    let notice = send(
        &app,
        &app.admin,
        json!({"title": "Rond", "body": "Kl 14", "priority": "important",
            "audience": {"unit_ids": [unit]}}),
    )
    .await
    .expect(201)
    .id();
    let dispatcher = Dispatcher::new(
        app.db.clone(),
        providers,
        Arc::new(Later(Duration::zero())),
        DeliveryConfig {
            concurrency: 1,
            ..DeliveryConfig::default()
        },
    );
    assert_eq!(dispatcher.tick().await.unwrap(), 2);
    let received = apple.received();
    assert_eq!(received.len(), 2);
    assert!(
        received
            .iter()
            .all(|r| r.body["aps"]["alert"]["title"] == "Rond")
    );
    let mut statuses: Vec<String> = deliveries(&app, &notice)
        .await
        .iter()
        .map(|d| d["status"].as_str().unwrap().to_owned())
        .collect();
    statuses.sort();
    assert_eq!(statuses, ["failed", "sent"]);
    let gone = &received.iter().find(|r| r.answered == 410).unwrap().token;
    let (_, owner_token) = &people[usize::from(gone == &device_token(2))];
    let regs = app
        .get("/api/v1/me/push-registrations", owner_token)
        .await
        .expect(200)
        .json;
    assert_eq!(regs["items"][0]["disabled"], true);
    assert_eq!(
        regs["items"][0]["disabled_reason"],
        "APNs 410: Unregistered"
    );
}

both_stores!(the_dispatcher_pushes_to_iphones_and_retires_unregistered_ones);

#[tokio::test]
async fn a_connection_opens_only_when_the_earlier_ones_are_full() {
    let ca = TestCa::new();
    let (apple, base) = stand_in(&ca).await;
    apple.hold_answers(std::time::Duration::from_millis(300));
    let (proxy, proxy_url) = ConnectProxy::start(None).await;
    let lanes = Lanes {
        connections: 3,
        streams_per_connection: 2,
    };
    let apns =
        ApnsProvider::new(&credentials(), &base, &region(&ca, &proxy_url, None), lanes).unwrap();
    // One at a time: one connection is enough.
    for n in 1..=3 {
        assert_eq!(
            apns.send(&push(Priority::Info, &device_token(n))).await,
            PushOutcome::Sent
        );
    }
    assert_eq!(proxy.tunnels().len(), 1);
    // Six at once: two streams on each of three connections.
    let pushes: Vec<Push> = (1..=6)
        .map(|n| push(Priority::Info, &device_token(n)))
        .collect();
    let outcomes = futures_util::future::join_all(pushes.iter().map(|p| apns.send(p))).await;
    assert!(outcomes.iter().all(|o| *o == PushOutcome::Sent));
    assert_eq!(proxy.tunnels().len(), 3, "{:?}", proxy.tunnels());
}

#[tokio::test]
async fn a_connection_gone_silent_is_found_by_its_pings_not_the_request_timeout() {
    let ca = TestCa::new();
    let (apple, base) = stand_in(&ca).await;
    let (proxy, proxy_url) = ConnectProxy::start(None).await;
    let network = NetworkConfig {
        keepalive_seconds: 1,
        keepalive_timeout_seconds: 1,
        connect_timeout_seconds: 2,
        request_timeout_seconds: 600,
        ..region(&ca, &proxy_url, None)
    };
    let apns = ApnsProvider::new(&credentials(), &base, &network, LANES).unwrap();
    assert_eq!(
        apns.send(&push(Priority::Info, &device_token(1))).await,
        PushOutcome::Sent
    );
    // The firewall forgets the connection: nothing arrives, nothing is closed.
    proxy.freeze();
    let outcome = tokio::time::timeout(
        std::time::Duration::from_mins(1),
        apns.send(&push(Priority::Info, &device_token(1))),
    )
    .await
    .expect("an unanswered PING ends the connection long before the 600 s request timeout");
    assert!(matches!(outcome, PushOutcome::Retry { .. }), "{outcome:?}");
    assert_eq!(apple.received().len(), 1, "the second push never arrived");
}
