//! A tenant's own app: set up by its admin (keys checked, sealed, never shown), and
//! its phones pushed with its own Apple key and Firebase project while everyone else's
//! go out with the service's.
use std::sync::Arc;

use chrono::Duration;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey, LineEnding};
use serde_json::{Value, json};
use stilla::{
    delivery::{DeliveryConfig, Dispatcher},
    push::{Providers, apns::ApnsProvider, app_clients::AppClients, transport::NetworkConfig},
};

use crate::{
    apple::{self, AppleKey},
    helpers::{Later, TestApp, both_stores, test_secrets},
    network::TestCa,
    notices::{always_working, employee_token, send},
};

const APP: &str = "se.regionskane.personal";

/// A tenant's own Apple key and Firebase service account (private parts) and what
/// Apple and Google know of them (public parts).
struct OwnApp {
    p8: String,
    p8_public: String,
    account: Value,
    account_public: String,
}

fn own_app(google_base: &str) -> OwnApp {
    let p8 = rcgen::KeyPair::generate().unwrap();
    let mut rng = rsa::rand_core::OsRng;
    let rsa = rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap();
    OwnApp {
        p8: p8.serialize_pem(),
        p8_public: p8.public_key_pem(),
        account: json!({
            "type": "service_account",
            "project_id": "skane-personal",
            "client_email": "push@skane-personal.iam.gserviceaccount.com",
            "private_key": rsa.to_pkcs8_pem(LineEnding::LF).unwrap().to_string(),
            "token_uri": format!("{google_base}/token"),
        }),
        account_public: rsa::RsaPublicKey::from(&rsa)
            .to_public_key_pem(LineEnding::LF)
            .unwrap(),
    }
}

fn settings(own: &OwnApp) -> Value {
    json!({"name": "Personalappen", "apns": {"key_id": "SKANE12345", "team_id": "SKANETEAM1",
        "topic": APP, "signing_key": own.p8}, "fcm": {"service_account": own.account}})
}

async fn an_admin_sets_up_the_tenants_app_and_never_sees_its_keys_again(app: TestApp) {
    let own = own_app("https://oauth2.googleapis.com");
    let created = app
        .put(
            &format!("/api/v1/push-apps/{APP}"),
            &app.admin,
            settings(&own),
        )
        .await
        .expect(201)
        .json;
    assert_eq!(created["app_id"], APP);
    assert_eq!(created["apns"]["topic"], APP);
    assert_eq!(created["apns"]["signing_key_set"], true);
    assert_eq!(created["fcm"]["project_id"], "skane-personal");
    assert_eq!(created["fcm"]["service_account_set"], true);
    let shown = created.to_string();
    assert!(!shown.contains("PRIVATE KEY") && !shown.contains("BEGIN"));

    // Changed without sending the key again: the stored one stays.
    let mut change = settings(&own);
    change["apns"]["signing_key"] = Value::Null;
    change["apns"]["sandbox"] = json!(true);
    change["fcm"] = json!({});
    let changed = app
        .put(&format!("/api/v1/push-apps/{APP}"), &app.admin, change)
        .await
        .expect(200)
        .json;
    assert_eq!(changed["apns"]["sandbox"], true);
    assert_eq!(changed["apns"]["signing_key_set"], true);
    assert_eq!(changed["fcm"]["service_account_set"], true);

    // A key that is not Apple's kind, a service account without its key: refused,
    // nothing changed.
    let mut wrong = settings(&own);
    wrong["apns"]["signing_key"] = json!(own.account["private_key"]);
    wrong["apns"]["key_id"] = json!("short");
    wrong["fcm"]["service_account"]["private_key"] = json!("not a key");
    let refused = app
        .put(&format!("/api/v1/push-apps/{APP}"), &app.admin, wrong)
        .await
        .expect(422);
    let mut fields = refused.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        ["apns.key_id", "apns.signing_key", "fcm.service_account"]
    );
    let listed = app
        .get("/api/v1/push-apps", &app.admin)
        .await
        .expect(200)
        .json;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    assert_eq!(listed["items"][0]["apns"]["sandbox"], true);

    // Sealed at rest, and the audit trail says only that the secrets changed.
    let sealed = app.column_values("push_apps", "apns_key_sealed").await;
    assert!(!sealed[0].contains("PRIVATE"));
    let audit = app
        .get("/api/v1/audit?entity_type=push_app", &app.admin)
        .await
        .expect(200)
        .json
        .to_string();
    assert!(audit.contains("signing_key_changed"));
    assert!(!audit.contains("PRIVATE KEY"), "{audit}");

    // Another tenant sees nothing of it.
    let (_, other_admin) = app.other_tenant().await;
    app.get(&format!("/api/v1/push-apps/{APP}"), &other_admin)
        .await
        .expect(404);

    app.call(
        reqwest::Method::DELETE,
        &format!("/api/v1/push-apps/{APP}"),
        Some(&app.admin),
        None,
    )
    .await
    .expect(204);
    app.get(&format!("/api/v1/push-apps/{APP}"), &app.admin)
        .await
        .expect(404);
}
both_stores!(an_admin_sets_up_the_tenants_app_and_never_sees_its_keys_again);

async fn phones_of_the_tenants_app_are_pushed_with_its_own_credentials(app: TestApp) {
    let ca = TestCa::new();
    let (apple, apple_base) = apple::stand_in(&ca).await;
    let (google, google_base) = crate::fcm::stand_in().await;
    let own = own_app(&google_base);
    apple.trust(AppleKey {
        key_id: "SKANE12345".to_owned(),
        team_id: "SKANETEAM1".to_owned(),
        public_pem: own.p8_public.clone(),
        topic: APP.to_owned(),
    });
    google.trust(
        own.account["client_email"].as_str().unwrap(),
        &own.account_public,
    );
    let network = NetworkConfig {
        ca_file: Some(ca.ca_file.clone()),
        platform_roots: false,
        ..NetworkConfig::default()
    };
    let service_apns =
        ApnsProvider::new(&apple::credentials(), &apple_base, &network, apple_lanes()).unwrap();
    let providers = Providers {
        apns: Some(Arc::new(service_apns)),
        fcm: Some(Arc::new(crate::fcm::fcm_provider(
            &google_base,
            &crate::fcm::keys().0,
        ))),
        apps: Some(Arc::new(
            AppClients::new(test_secrets(), network).with_base_urls(&apple_base, &google_base),
        )),
        ..Providers::default()
    };
    app.put(
        &format!("/api/v1/push-apps/{APP}"),
        &app.admin,
        settings(&own),
    )
    .await
    .expect(201);

    let unit = app.unit("Akuten", None).await;
    let role = app.role("Sjuksköterska").await;
    for (n, (provider, app_id)) in [
        ("apns", Some(APP)),
        ("fcm", Some(APP)),
        ("apns", None),
        ("apns", Some("se.unknown.app")),
    ]
    .into_iter()
    .enumerate()
    {
        let who = app
            .employee(&format!("person{n}@region.se"), &unit, &role)
            .await;
        always_working(&app, &who).await;
        let token = employee_token(&app, &who).await;
        let device_token = if provider == "apns" {
            apple::device_token(n as u8 + 1)
        } else {
            format!("fcm-token-{n}")
        };
        app.post(
            "/api/v1/me/push-registrations",
            &token,
            json!({"provider": provider, "token": device_token, "app_id": app_id}),
        )
        .await
        .expect(201);
    }
    let dispatcher = || {
        Dispatcher::new(
            app.db.clone(),
            providers.clone(),
            Arc::new(Later(Duration::zero())),
            DeliveryConfig::default(),
        )
    };
    send(
        &app,
        &app.admin,
        json!({"title": "Rond", "body": "Kl 14", "priority": "important",
            "audience": {"unit_ids": [unit]}}),
    )
    .await
    .expect(201);
    assert_eq!(dispatcher().tick().await.unwrap(), 4);

    let topic_of = |token: &str| {
        apple
            .received()
            .iter()
            .filter(|r| r.token == token)
            .map(|r| (r.headers["apns-topic"].clone(), r.answered))
            .collect::<Vec<_>>()
    };
    assert_eq!(topic_of(&apple::device_token(1)), [(APP.to_owned(), 200)]);
    assert_eq!(
        topic_of(&apple::device_token(3)),
        [(apple::TOPIC.to_owned(), 200)],
        "no app_id: the service's own app"
    );
    assert_eq!(
        topic_of(&apple::device_token(4)),
        [(apple::TOPIC.to_owned(), 200)],
        "an app the tenant has not set up: the service's own app"
    );
    let projects: Vec<String> = google
        .received()
        .iter()
        .map(|(p, _, _)| p.clone())
        .collect();
    assert_eq!(projects, ["skane-personal"]);

    // The app removed: its phones go out with the service's credentials again.
    app.call(
        reqwest::Method::DELETE,
        &format!("/api/v1/push-apps/{APP}"),
        Some(&app.admin),
        None,
    )
    .await
    .expect(204);
    send(
        &app,
        &app.admin,
        json!({"title": "Igen", "body": "…", "priority": "important",
            "audience": {"unit_ids": [unit]}}),
    )
    .await
    .expect(201);
    assert_eq!(dispatcher().tick().await.unwrap(), 4);
    assert_eq!(
        topic_of(&apple::device_token(1))[1],
        (apple::TOPIC.to_owned(), 200)
    );
}
both_stores!(phones_of_the_tenants_app_are_pushed_with_its_own_credentials);

fn apple_lanes() -> stilla::push::transport::Lanes {
    stilla::push::transport::Lanes {
        connections: 1,
        streams_per_connection: 100,
    }
}
