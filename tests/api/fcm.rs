//! FCM HTTP v1 end to end, against an in-process stand-in for Google's OAuth token
//! endpoint and `messages:send`: the same wire format, answers scripted by the test.
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex, OnceLock},
    time::Duration as StdDuration,
};

use axum::{
    Form, Json, Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
};
use chrono::Duration;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{Value, json};
use stilla::{
    app::App,
    config::Config,
    delivery::{DeliveryConfig, Dispatcher},
    push::{
        Provider, Providers, Push, PushOutcome,
        fcm::{FcmConfig, FcmProvider, ServiceAccount},
        transport::{Lanes, NetworkConfig},
    },
    reachability::Priority,
};
use uuid::Uuid;

use crate::{
    helpers::{Later, TestApp, both_stores},
    notices::{always_working, deliveries, employee_token, send},
};

const CLIENT_EMAIL: &str = "stilla@stilla-test.iam.gserviceaccount.com";

/// A throwaway RSA key pair (private PKCS#8 PEM, public PEM), made once per run.
pub fn keys() -> &'static (String, String) {
    static KEYS: OnceLock<(String, String)> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut rng = rsa::rand_core::OsRng;
        let private = rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap();
        let public = rsa::RsaPublicKey::from(&private);
        (
            private.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
            public.to_public_key_pem(LineEnding::LF).unwrap(),
        )
    })
}

/// One scripted answer of `messages:send`: status, body, Retry-After.
type Scripted = (u16, Value, Option<String>);

#[derive(Default)]
pub struct Google {
    /// Service accounts Google knows beyond the built-in one: client email, public key.
    accounts: Mutex<Vec<(String, String)>>,
    /// Access tokens handed out; a token not in `valid` gets 401.
    issued: Mutex<Vec<String>>,
    valid: Mutex<Vec<String>>,
    /// What each `messages:send` received: the bearer token and the body.
    received: Mutex<Vec<(String, String, Value)>>,
    script: Mutex<VecDeque<Scripted>>,
    /// While set, every send gets this answer (after the script): a fault mid-run.
    failing: Mutex<Option<Scripted>>,
}

impl Google {
    /// Knows another service account (a tenant's own Firebase project).
    pub fn trust(&self, client_email: &str, public_pem: &str) {
        self.accounts
            .lock()
            .unwrap()
            .push((client_email.to_owned(), public_pem.to_owned()));
    }

    /// The public key of `client_email`'s account, if Google knows it.
    fn key_of(&self, client_email: &str) -> Option<String> {
        if client_email == CLIENT_EMAIL {
            return Some(keys().1.clone());
        }
        self.accounts
            .lock()
            .unwrap()
            .iter()
            .find(|(email, _)| email == client_email)
            .map(|(_, key)| key.clone())
    }
    /// The next send gets this answer; `retry_after` in seconds or as an HTTP date.
    pub fn answer_next(&self, status: u16, body: Value, retry_after: Option<&str>) {
        self.script
            .lock()
            .unwrap()
            .push_back((status, body, retry_after.map(str::to_owned)));
    }

    /// Answers every send this way from now on, until [`Google::heal`].
    pub fn fail_all(&self, status: u16, body: Value) {
        *self.failing.lock().unwrap() = Some((status, body, None));
    }

    pub fn heal(&self) {
        *self.failing.lock().unwrap() = None;
    }

    fn expire_access_tokens(&self) {
        self.valid.lock().unwrap().clear();
    }

    pub fn received(&self) -> Vec<(String, String, Value)> {
        self.received.lock().unwrap().clone()
    }
}

pub fn fcm_error(status: u16, code: &str) -> Value {
    json!({"error": {"code": status, "message": code, "status": code, "details": [
        {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code}]}})
}

#[derive(serde::Deserialize)]
struct TokenRequest {
    grant_type: String,
    assertion: String,
}

#[derive(serde::Deserialize)]
struct Claims {
    iss: String,
    scope: String,
    aud: String,
    exp: i64,
    iat: i64,
}

/// `POST /token`: checks the signed assertion as Google does, hands out a token.
async fn token(State(google): State<Arc<Google>>, Form(request): Form<TokenRequest>) -> Response {
    // The audience is checked below: it must be this endpoint.
    let mut validation = Validation::new(Algorithm::RS256);
    validation.validate_aud = false;
    // Which account signed it says which public key checks it.
    let mut unverified = validation.clone();
    unverified.insecure_disable_signature_validation();
    let issuer = jsonwebtoken::decode::<Claims>(
        &request.assertion,
        &DecodingKey::from_secret(b""),
        &unverified,
    )
    .map(|d| d.claims.iss)
    .unwrap_or_default();
    let public = google.key_of(&issuer).unwrap_or_else(|| keys().1.clone());
    let key = DecodingKey::from_rsa_pem(public.as_bytes()).unwrap();
    let claims = match jsonwebtoken::decode::<Claims>(&request.assertion, &key, &validation) {
        Ok(data) => data.claims,
        Err(_) => {
            return (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": "invalid_grant"})),
            )
                .into_response();
        }
    };
    if request.grant_type != "urn:ietf:params:oauth:grant-type:jwt-bearer"
        || google.key_of(&claims.iss).is_none()
        || claims.scope != "https://www.googleapis.com/auth/firebase.messaging"
        || !claims.aud.ends_with("/token")
        || claims.exp - claims.iat > 3600
    {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "invalid_scope"})),
        )
            .into_response();
    }
    let mut issued = google.issued.lock().unwrap();
    let access = format!("access-{}", issued.len() + 1);
    issued.push(access.clone());
    google.valid.lock().unwrap().push(access.clone());
    Json(json!({"access_token": access, "expires_in": 3599, "token_type": "Bearer"}))
        .into_response()
}

/// `POST /v1/projects/{project}/messages:send`.
async fn messages_send(
    State(google): State<Arc<Google>>,
    axum::extract::Path(project): axum::extract::Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("")
        .to_owned();
    google
        .received
        .lock()
        .unwrap()
        .push((project.clone(), bearer.clone(), body.clone()));
    if !google.valid.lock().unwrap().contains(&bearer) {
        return (
            StatusCode::UNAUTHORIZED,
            Json(fcm_error(401, "UNAUTHENTICATED")),
        )
            .into_response();
    }
    let scripted = google.script.lock().unwrap().pop_front();
    match scripted.or_else(|| google.failing.lock().unwrap().clone()) {
        Some((status, body, retry_after)) => {
            let mut response = (StatusCode::from_u16(status).unwrap(), Json(body)).into_response();
            if let Some(seconds) = retry_after {
                response
                    .headers_mut()
                    .insert("retry-after", seconds.parse().unwrap());
            }
            response
        }
        None => Json(json!({"name": format!("projects/{project}/messages/{}", Uuid::now_v7())}))
            .into_response(),
    }
}

/// The stand-in's state and routes, to be served over plain HTTP or TLS.
pub fn google() -> (Arc<Google>, Router) {
    let google = Arc::new(Google::default());
    let app = Router::new()
        .route("/token", post(token))
        .route("/v1/projects/{project}/messages:send", post(messages_send))
        .with_state(google.clone());
    (google, app)
}

/// Starts the stand-in on plain HTTP (HTTP/2 with prior knowledge, or HTTP/1.1 for the
/// token endpoint); returns its state and base URL.
pub async fn stand_in() -> (Arc<Google>, String) {
    let (google, app) = google();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (google, base)
}

pub fn account(base: &str, private_key: &str) -> ServiceAccount {
    serde_json::from_value(json!({
        "type": "service_account",
        "project_id": "stilla-test",
        "client_email": CLIENT_EMAIL,
        "private_key": private_key,
        "token_uri": format!("{base}/token"),
    }))
    .unwrap()
}

/// A client for the stand-in at `base`, signing with `private_key`.
pub fn fcm_provider(base: &str, private_key: &str) -> FcmProvider {
    let lanes = Lanes {
        connections: 2,
        streams_per_connection: 10,
    };
    FcmProvider::new(
        account(base, private_key),
        base,
        &NetworkConfig::default(),
        lanes,
    )
    .unwrap()
}

fn push(priority: Priority) -> Push {
    let now = chrono::Utc::now();
    Push {
        token: "fcm-device-token".to_owned(),
        title: "Ny rutin".to_owned(),
        body: "Läs före passet".to_owned(),
        notice_id: Uuid::now_v7(),
        count: 1,
        unread: 1,
        platform: None,
        priority,
        expires_at: Some(now + Duration::minutes(90)),
        collapse_key: "notice".to_owned(),
        now,
    }
}

#[tokio::test]
async fn the_fcm_client_speaks_http_v1_and_maps_googles_answers() {
    let (google, base) = stand_in().await;
    let fcm = fcm_provider(&base, &keys().0);

    assert_eq!(fcm.send(&push(Priority::Urgent)).await, PushOutcome::Sent);
    let (project, bearer, body) = google.received()[0].clone();
    assert_eq!(project, "stilla-test");
    assert_eq!(bearer, "access-1");
    let message = &body["message"];
    assert_eq!(message["token"], "fcm-device-token");
    assert_eq!(message["notification"]["title"], "Ny rutin");
    assert_eq!(message["android"]["priority"], "HIGH");
    assert_eq!(message["android"]["ttl"], "5400s");
    assert_eq!(
        message["android"]["notification"]["channel_id"],
        "stilla_urgent"
    );
    assert_eq!(
        message["android"]["notification"]["tag"],
        message["android"]["collapse_key"]
    );
    assert!(message["data"]["notice_id"].is_string());

    // The access token is cached between pushes.
    assert_eq!(fcm.send(&push(Priority::Info)).await, PushOutcome::Sent);
    assert_eq!(google.issued.lock().unwrap().len(), 1);
    assert_eq!(
        google.received()[1].2["message"]["android"]["priority"],
        "NORMAL"
    );

    // UNREGISTERED: the token is gone.
    google.answer_next(404, fcm_error(404, "UNREGISTERED"), None);
    assert!(matches!(
        fcm.send(&push(Priority::Info)).await,
        PushOutcome::TokenGone { .. }
    ));
    // 503 and 429 with Retry-After, in seconds or as an HTTP date: the whole
    // project is asked to wait, not this push only.
    google.answer_next(503, fcm_error(503, "UNAVAILABLE"), Some("7"));
    assert_eq!(
        fcm.send(&push(Priority::Info)).await,
        PushOutcome::Busy {
            error: "FCM 503: UNAVAILABLE".to_owned(),
            retry_after: Some(StdDuration::from_secs(7))
        }
    );
    google.answer_next(429, fcm_error(429, "QUOTA_EXCEEDED"), Some("30"));
    assert!(matches!(
        fcm.send(&push(Priority::Info)).await,
        PushOutcome::Busy { retry_after: Some(d), .. } if d == StdDuration::from_secs(30)
    ));
    let in_a_minute =
        httpdate::fmt_http_date(std::time::SystemTime::now() + StdDuration::from_mins(1));
    google.answer_next(429, fcm_error(429, "QUOTA_EXCEEDED"), Some(&in_a_minute));
    assert!(matches!(
        fcm.send(&push(Priority::Info)).await,
        PushOutcome::Busy { retry_after: Some(d), .. }
            if d > StdDuration::from_secs(55) && d <= StdDuration::from_mins(1)
    ));
    // A server error of one request is that push's to try again.
    google.answer_next(500, fcm_error(500, "INTERNAL"), None);
    assert!(matches!(
        fcm.send(&push(Priority::Info)).await,
        PushOutcome::Retry {
            retry_after: None,
            ..
        }
    ));
    // The project's faults, not the token's: refused, wrong project, APNs
    // credentials missing in Firebase.
    for (status, code) in [
        (403, "PERMISSION_DENIED"),
        (404, "NOT_FOUND"),
        (401, "THIRD_PARTY_AUTH_ERROR"),
    ] {
        google.answer_next(status, fcm_error(status, code), None);
        assert_eq!(
            fcm.send(&push(Priority::Info)).await,
            PushOutcome::Misconfigured {
                error: format!("FCM {status}: {code}")
            }
        );
    }

    // The access token expires early: a new one is bought and the push goes through.
    google.expire_access_tokens();
    assert_eq!(fcm.send(&push(Priority::Info)).await, PushOutcome::Sent);
    assert_eq!(google.issued.lock().unwrap().len(), 2);
    assert_eq!(google.received().last().unwrap().1, "access-2");

    // A key Google does not know: the token endpoint refuses; the credentials are
    // wrong, not the push.
    let stranger = {
        let mut rng = rsa::rand_core::OsRng;
        rsa::RsaPrivateKey::new(&mut rng, 2048)
            .unwrap()
            .to_pkcs8_pem(LineEnding::LF)
            .unwrap()
            .to_string()
    };
    let wrong = fcm_provider(&base, &stranger);
    assert!(matches!(
        wrong.send(&push(Priority::Info)).await,
        PushOutcome::Misconfigured { error } if error.contains("400")
    ));
}

async fn the_dispatcher_delivers_through_fcm_with_retries_and_token_clean_up(app: TestApp) {
    let (google, base) = stand_in().await;
    let fcm: Arc<dyn Provider> = Arc::new(fcm_provider(&base, &keys().0));
    let providers = Providers {
        fcm: Some(fcm),
        ..Providers::default()
    };
    let dispatcher = |ahead: Duration| {
        Dispatcher::new(
            app.db.clone(),
            providers.clone(),
            Arc::new(Later(ahead)),
            DeliveryConfig::default(),
        )
    };
    let unit = app.unit("Avd 2", None).await;
    let role = app.role("Sjuksköterska").await;
    let anna = app.employee("anna@region.se", &unit, &role).await;
    let bo = app.employee("bo@region.se", &unit, &role).await;
    for (who, token) in [(&anna, "fcm-anna"), (&bo, "fcm-bo")] {
        always_working(&app, who).await;
        let employee = employee_token(&app, who).await;
        app.post(
            "/api/v1/me/push-registrations",
            &employee,
            json!({"provider": "fcm", "token": token}),
        )
        .await
        .expect(201);
    }
    let anna_notice = send(
        &app,
        &app.admin,
        json!({"title": "Hej Anna", "body": "…",
        "priority": "info", "audience": {"employee_ids": [anna]}}),
    )
    .await
    .expect(201)
    .id();
    google.answer_next(503, fcm_error(503, "UNAVAILABLE"), Some("3"));
    dispatcher(Duration::zero()).tick().await.unwrap();
    let row = deliveries(&app, &anna_notice).await[0].clone();
    assert_eq!(
        (row["status"].as_str(), row["attempts"].as_i64()),
        (Some("scheduled"), Some(1))
    );
    assert_eq!(dispatcher(Duration::seconds(2)).tick().await.unwrap(), 0);
    dispatcher(Duration::seconds(5)).tick().await.unwrap();
    let row = deliveries(&app, &anna_notice).await[0].clone();
    assert_eq!(
        (row["status"].as_str(), row["attempts"].as_i64()),
        (Some("sent"), Some(2))
    );

    let bo_notice = send(
        &app,
        &app.admin,
        json!({"title": "Hej Bo", "body": "…",
        "priority": "info", "audience": {"employee_ids": [bo]}}),
    )
    .await
    .expect(201)
    .id();
    google.answer_next(404, fcm_error(404, "UNREGISTERED"), None);
    dispatcher(Duration::zero()).tick().await.unwrap();
    assert_eq!(deliveries(&app, &bo_notice).await[0]["status"], "failed");
    let bo_token = employee_token(&app, &bo).await;
    let regs = app
        .get("/api/v1/me/push-registrations", &bo_token)
        .await
        .expect(200)
        .json;
    assert_eq!(regs["items"][0]["disabled"], true);
    assert_eq!(regs["items"][0]["disabled_reason"], "FCM 404: UNREGISTERED");
    let tokens: Vec<String> = google
        .received()
        .iter()
        .map(|(_, _, body)| body["message"]["token"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(tokens, vec!["fcm-anna", "fcm-anna", "fcm-bo"]);
}
both_stores!(the_dispatcher_delivers_through_fcm_with_retries_and_token_clean_up);

/// `serve` as configured: `[push.fcm]` read from its file, the dispatcher running in
/// the background, a notice reaching the stand-in without anyone calling `tick` and
/// without waiting for the next poll.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_dispatches_in_the_background_through_the_configured_provider() {
    let (google, base) = stand_in().await;
    let dir = tempfile::tempdir().unwrap();
    let account_file = dir.path().join("service-account.json");
    std::fs::write(
        &account_file,
        json!({"project_id": "stilla-test", "client_email": CLIENT_EMAIL,
            "private_key": keys().0, "token_uri": format!("{base}/token")})
        .to_string(),
    )
    .unwrap();
    let mut config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Config::default()
    };
    config.database.url = secrecy::SecretString::from(format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("stilla.db").display()
    ));
    config.push.fcm = Some(FcmConfig {
        service_account_file: account_file,
        base_url: base.clone(),
        connections: 2,
        streams_per_connection: 10,
    });
    // A poll far longer than the test waits: the notice's own nudge must start it.
    config.delivery.poll_interval_ms = 600_000;
    let app = App::build(&config).await.unwrap();
    let admin = app.bootstrapped.clone().unwrap().admin_token;
    let api = format!("http://{}/api/v1", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app.run(async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let call = |path: &str, token: &str, body: Value| {
        client
            .post(format!("{api}{path}"))
            .bearer_auth(token.to_owned())
            .json(&body)
            .send()
    };
    let id = |r: reqwest::Response| async move {
        let v: Value = r.json().await.unwrap();
        v["id"].as_str().unwrap().to_owned()
    };
    let unit = id(call("/units", &admin, json!({"name": "Avd 1"}))
        .await
        .unwrap())
    .await;
    let role = id(call("/roles", &admin, json!({"name": "Läkare"}))
        .await
        .unwrap())
    .await;
    let doctor = id(call(
        "/employees",
        &admin,
        json!({"name": "L", "email": "l@r.se",
        "unit_id": unit, "role_id": role, "employment_type": "permanent"}),
    )
    .await
    .unwrap())
    .await;
    let day = json!([{"start": "00:00", "end": "24:00"}]);
    client
        .put(format!("{api}/employees/{doctor}/working-hours"))
        .bearer_auth(&admin)
        .json(
            &json!({"working_hours": {"mon": day, "tue": day, "wed": day, "thu": day,
            "fri": day, "sat": day, "sun": day}}),
        )
        .send()
        .await
        .unwrap();
    let token_answer: Value = call(
        "/tokens",
        &admin,
        json!({"name": "app", "role": "employee",
        "employee_id": doctor}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let employee = token_answer["token"].as_str().unwrap().to_owned();
    call(
        "/me/push-registrations",
        &employee,
        json!({"provider": "fcm", "token": "fcm-1"}),
    )
    .await
    .unwrap();
    call(
        "/notices",
        &admin,
        json!({"title": "Bakgrund", "body": "…", "priority": "info",
        "audience": {"employee_ids": [doctor]}}),
    )
    .await
    .unwrap();
    let mut waited = 0;
    while google.received().is_empty() && waited < 200 {
        tokio::time::sleep(StdDuration::from_millis(25)).await;
        waited += 1;
    }
    assert_eq!(
        google.received().len(),
        1,
        "the background dispatcher pushed it"
    );
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
}

/// An iOS app registered through Firebase gets Apple's block — priority, expiry,
/// collapse id, interruption level — and a badge that counts what its person has not
/// read; an Android phone gets the Android block only.
async fn an_ios_app_through_fcm_gets_apples_block_and_the_unread_badge(app: TestApp) {
    let (google, base) = stand_in().await;
    let providers = Providers {
        fcm: Some(Arc::new(fcm_provider(&base, &keys().0))),
        ..Providers::default()
    };
    let dispatch = async || {
        Dispatcher::new(
            app.db.clone(),
            providers.clone(),
            Arc::new(Later(Duration::zero())),
            DeliveryConfig::default(),
        )
        .tick()
        .await
        .unwrap()
    };
    let unit = app.unit("Avd 3", None).await;
    let role = app.role("Sjuksköterska").await;
    let anna = app.employee("anna@region.se", &unit, &role).await;
    let bo = app.employee("bo@region.se", &unit, &role).await;
    let anna_token = employee_token(&app, &anna).await;
    for (who, token, platform) in [(&anna, "fcm-iphone", Some("ios")), (&bo, "fcm-pixel", None)] {
        always_working(&app, who).await;
        let mut body = json!({"provider": "fcm", "token": token});
        if let Some(platform) = platform {
            body["platform"] = json!(platform);
        }
        let employee = employee_token(&app, who).await;
        app.post("/api/v1/me/push-registrations", &employee, body)
            .await
            .expect(201);
    }
    let notice = |title: &str, priority: &str| {
        json!({"title": title, "body": "…", "priority": priority, "expires_at": chrono::Utc::now() + Duration::hours(2),
            "audience": {"employee_ids": [anna, bo]}})
    };
    let first = send(&app, &app.admin, notice("Första", "info"))
        .await
        .expect(201)
        .id();
    dispatch().await;
    let second = send(&app, &app.admin, notice("Andra", "important"))
        .await
        .expect(201)
        .id();
    dispatch().await;
    app.post(
        &format!("/api/v1/me/notices/{first}/ack"),
        &anna_token,
        json!({}),
    )
    .await
    .expect(200);
    let third = send(&app, &app.admin, notice("Tredje", "important"))
        .await
        .expect(201)
        .id();
    dispatch().await;
    // A notice withdrawn no longer asks to be read.
    app.call(
        reqwest::Method::DELETE,
        &format!("/api/v1/notices/{second}"),
        Some(&app.admin),
        None,
    )
    .await
    .expect(200);
    send(&app, &app.admin, notice("Fjärde", "info"))
        .await
        .expect(201);
    dispatch().await;

    let to = |token: &str| -> Vec<Value> {
        google
            .received()
            .into_iter()
            .map(|(_, _, body)| body["message"].clone())
            .filter(|m| m["token"] == token)
            .collect()
    };
    let iphone = to("fcm-iphone");
    assert_eq!(iphone.len(), 4);
    // Read: the first; unread: the second, then the third too; then the second is
    // withdrawn and the fourth comes.
    let badges: Vec<&Value> = iphone
        .iter()
        .map(|m| &m["apns"]["payload"]["aps"]["badge"])
        .collect();
    assert_eq!(badges, vec![&json!(1), &json!(2), &json!(2), &json!(2)]);
    for (message, id, priority, level) in [
        (&iphone[0], &first, "5", "passive"),
        (&iphone[1], &second, "10", "active"),
        (&iphone[2], &third, "10", "active"),
    ] {
        assert!(message.get("android").is_none(), "{message}");
        let headers = &message["apns"]["headers"];
        assert_eq!(headers["apns-priority"], priority);
        assert_eq!(headers["apns-collapse-id"], id.as_str());
        assert_eq!(headers["apns-push-type"], "alert");
        let expiration: i64 = headers["apns-expiration"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(expiration > chrono::Utc::now().timestamp() + 3_500);
        assert_eq!(
            message["apns"]["payload"]["aps"]["interruption-level"],
            level
        );
        assert_eq!(message["apns"]["payload"]["data"]["notice_id"], id.as_str());
    }
    let pixel = to("fcm-pixel");
    assert_eq!(pixel.len(), 4);
    for message in &pixel {
        assert!(message.get("apns").is_none(), "{message}");
        assert_eq!(message["android"]["notification"]["notification_count"], 1);
    }
    assert_eq!(
        pixel[0]["android"]["notification"]["channel_id"],
        "stilla_info"
    );
}
both_stores!(an_ios_app_through_fcm_gets_apples_block_and_the_unread_badge);
