//! Provider health on both stores: a fault of the credentials or of the provider as a
//! whole holds the pushes (never fails them, never retires a phone) until it heals,
//! and then each goes once.
use std::sync::Arc;

use chrono::Duration;
use entities::vocab::PushProvider;
use entities::{delivery, push_registration};
use sea_orm::EntityTrait;
use serde_json::json;
use stilla::{
    delivery::{DeliveryConfig, Dispatcher},
    push::{Provider, Providers},
};

use crate::{
    dispatch_order::{always_open, crowd_notice, unit_and_role},
    fcm::{Google, fcm_error, fcm_provider, keys, stand_in},
    helpers::{Later, TestApp, both_stores},
};

async fn statuses(app: &TestApp) -> Vec<String> {
    let mut all: Vec<String> = delivery::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.status.to_string())
        .collect();
    all.sort();
    all
}

async fn retired_phones(app: &TestApp) -> usize {
    push_registration::Entity::find()
        .all(&app.db)
        .await
        .unwrap()
        .iter()
        .filter(|r| r.disabled_at.is_some())
        .count()
}

/// Google's stand-in, and dispatchers on `app` that push to it one at a time (so that
/// what follows an answer is the circuit's doing) with their clock `seconds` ahead,
/// sharing one set of providers and so one circuit.
struct OneAtATime {
    google: Arc<Google>,
    providers: Providers,
}

impl OneAtATime {
    async fn new() -> Self {
        let (google, base) = stand_in().await;
        let fcm: Arc<dyn Provider> = Arc::new(fcm_provider(&base, &keys().0));
        let providers = Providers {
            fcm: Some(fcm),
            ..Providers::default()
        };
        Self { google, providers }
    }

    fn at(&self, app: &TestApp, seconds: i64) -> Dispatcher {
        Dispatcher::new(
            app.db.clone(),
            self.providers.clone(),
            Arc::new(Later(Duration::seconds(seconds))),
            DeliveryConfig {
                concurrency: 1,
                ..DeliveryConfig::default()
            },
        )
    }
}

async fn refused_credentials_hold_every_push_until_they_work_again(app: TestApp) {
    let crowd = crowd_notice(&app, 5).await;
    let one = OneAtATime::new().await;
    let google = &one.google;
    let at = |seconds: i64| one.at(&app, seconds);
    let sends = || google.received().len();

    google.fail_all(403, fcm_error(403, "PERMISSION_DENIED"));
    at(0).tick().await.unwrap();
    // The first refusal opened the circuit: the other four were never sent.
    assert_eq!(sends(), 1);
    assert_eq!(statuses(&app).await, vec!["scheduled"; 5]);
    // Held until the probe: nothing is due before it.
    assert_eq!(at(5).tick().await.unwrap(), 0);
    assert_eq!(sends(), 1);

    // The probe, still refused: one push, and the next probe further off.
    at(30).tick().await.unwrap();
    assert_eq!(sends(), 2);
    assert_eq!(statuses(&app).await, vec!["scheduled"; 5]);

    // A minute later Google accepts again: one probe goes, heals the circuit, and
    // the rest follow; every push once, no phone retired.
    google.heal();
    at(61).tick().await.unwrap();
    at(70).tick().await.unwrap();
    assert_eq!(statuses(&app).await, vec!["sent"; 5]);
    assert_eq!(retired_phones(&app).await, 0);
    let accepted: Vec<String> = google.received()[2..]
        .iter()
        .map(|(_, _, body)| body["message"]["token"].as_str().unwrap().to_owned())
        .collect();
    let mut expected: Vec<String> = crowd.iter().map(|id| format!("token-{id}")).collect();
    let mut sorted = accepted.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(
        sorted, expected,
        "each phone once after healing: {accepted:?}"
    );

    // Opened once (not again for the failed probe) and healed once, in the audit trail.
    let audit = app
        .get("/api/v1/audit?entity_type=push_credentials", &app.admin)
        .await
        .expect(200)
        .json;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        sorted_actions(actions),
        vec!["push_credentials.refused", "push_credentials.restored"]
    );
}

fn sorted_actions(mut actions: Vec<&str>) -> Vec<&str> {
    actions.sort_unstable();
    actions
}
both_stores!(refused_credentials_hold_every_push_until_they_work_again);

async fn a_quota_pause_holds_every_push_until_the_time_asked(app: TestApp) {
    crowd_notice(&app, 3).await;
    let one = OneAtATime::new().await;
    let google = &one.google;
    let at = |seconds: i64| one.at(&app, seconds);
    // Asked to wait, as an HTTP date, half a minute.
    let later =
        httpdate::fmt_http_date(std::time::SystemTime::now() + std::time::Duration::from_secs(30));
    google.answer_next(429, fcm_error(429, "QUOTA_EXCEEDED"), Some(&later));
    at(0).tick().await.unwrap();
    assert_eq!(google.received().len(), 1, "the others wait with the first");
    assert_eq!(statuses(&app).await, vec!["scheduled"; 3]);
    assert_eq!(at(20).tick().await.unwrap(), 0);
    at(31).tick().await.unwrap();
    assert_eq!(statuses(&app).await, vec!["sent"; 3]);
    assert_eq!(google.received().len(), 4);
}
both_stores!(a_quota_pause_holds_every_push_until_the_time_asked);

async fn most_tokens_refused_at_once_retire_no_phone(app: TestApp) {
    always_open(&app, &app.admin).await;
    let (unit, role) = unit_and_role(&app, &app.admin).await;
    let one = OneAtATime::new().await;
    let google = &one.google;
    let dispatcher = || one.at(&app, 0);
    let notice_to = |people: Vec<uuid::Uuid>| {
        app.post(
            "/api/v1/notices",
            &app.admin,
            json!({"title": "Rond", "body": "…", "priority": "info",
                "audience": {"employee_ids": people}}),
        )
    };
    // Four pushes go through: these credentials work.
    let first = app
        .people_with_phones(None, &unit, &role, 4, PushProvider::Fcm)
        .await;
    notice_to(first).await.expect(201);
    dispatcher().tick().await.unwrap();
    assert_eq!(google.received().len(), 4);

    // Then the service account is swapped for another project's: every token is
    // "not ours". As many are retired as the good answers before them outweigh; the
    // fifth refusal makes most of the recent answers refusals, and opens the circuit.
    google.fail_all(403, fcm_error(403, "SENDER_ID_MISMATCH"));
    let second = app
        .people_with_phones(None, &unit, &role, 16, PushProvider::Fcm)
        .await;
    notice_to(second).await.expect(201);
    dispatcher().tick().await.unwrap();
    assert_eq!(
        google.received().len(),
        4 + 5,
        "the circuit stopped the rest"
    );
    assert_eq!(retired_phones(&app).await, 4);
    let statuses = statuses(&app).await;
    assert_eq!(statuses.iter().filter(|s| *s == "sent").count(), 4);
    assert_eq!(statuses.iter().filter(|s| *s == "failed").count(), 4);
    assert_eq!(statuses.iter().filter(|s| *s == "scheduled").count(), 12);
}
both_stores!(most_tokens_refused_at_once_retire_no_phone);
