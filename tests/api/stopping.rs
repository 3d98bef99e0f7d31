//! Cancel and acknowledge stop every push that has not left: the waiting rows in their
//! own transaction, and the ones a dispatcher has claimed right before they are sent.
use std::{sync::Arc, time::Duration as StdDuration};

use chrono::Duration;
use reqwest::Method;
use serde_json::json;
use stilla::{
    clock::SystemClock,
    delivery::{DeliveryConfig, Dispatcher},
    push::{Provider, Providers, Push, PushOutcome},
};
use tokio_util::sync::CancellationToken;

use crate::{
    helpers::{TestApp, both_stores},
    notices::{deliveries, employee_token, phone, quiet_policy, send, shift_worker},
};

/// A nurse reads in the console, at 19:08, a notice held for her Saturday shift: the
/// push planned for the shift ends `cancelled` (`acked`), her card says it is read,
/// and when the shift comes nothing is pushed.
async fn an_acknowledged_notice_is_not_pushed_later(app: TestApp) {
    quiet_policy(&app).await;
    let unit = app.unit("Avd 7", None).await;
    let role = app.role("Sjuksköterska").await;
    let nurse = app.employee("n@region.se", &unit, &role).await;
    shift_worker(&app, &nurse, Duration::hours(18)).await;
    phone(&app, &nurse).await;
    let notice = send(
        &app,
        &app.admin,
        json!({"title": "Ny rutin", "body": "Läs före passet", "priority": "important",
            "audience": {"employee_ids": [nurse]}}),
    )
    .await
    .expect(201)
    .id();
    let nurse_token = employee_token(&app, &nurse).await;
    let card = app
        .post(
            &format!("/api/v1/me/notices/{notice}/ack"),
            &nurse_token,
            json!({}),
        )
        .await
        .expect(200)
        .json;
    assert_eq!(card["status"], "read");
    let row = deliveries(&app, &notice).await[0].clone();
    assert_eq!(
        (row["status"].as_str(), row["last_error"].as_str()),
        (Some("cancelled"), Some("acked"))
    );
    let inbox = app
        .get("/api/v1/me/notices", &nurse_token)
        .await
        .expect(200)
        .json;
    assert_eq!(inbox["items"][0]["status"], "read");
    app.dispatch_at(Duration::hours(19)).await;
    assert!(app.recorder.pushes().is_empty());
}
both_stores!(an_acknowledged_notice_is_not_pushed_later);

/// Holds the first push in flight until told, counting every push made.
struct Gate {
    open: tokio::sync::Notify,
    pushed: std::sync::Mutex<Vec<String>>,
}

#[async_trait::async_trait]
impl Provider for Gate {
    async fn send(&self, push: &Push) -> PushOutcome {
        let first = self.pushed.lock().unwrap().is_empty();
        self.pushed.lock().unwrap().push(push.token.clone());
        if first {
            self.open.notified().await;
        }
        PushOutcome::Sent
    }
}

/// Rows already claimed, waiting in the dispatcher for a place in flight, are not pushed
/// once `DELETE` has answered.
async fn a_cancel_stops_pushes_already_claimed(app: TestApp) {
    let unit = app.unit("Avd 9", None).await;
    let role = app.role("Undersköterska").await;
    let mut people = Vec::new();
    for n in 0..3 {
        let who = app.employee(&format!("u{n}@region.se"), &unit, &role).await;
        crate::notices::always_working(&app, &who).await;
        phone(&app, &who).await;
        people.push(who);
    }
    let gate = Arc::new(Gate {
        open: tokio::sync::Notify::new(),
        pushed: std::sync::Mutex::new(Vec::new()),
    });
    let providers = Providers {
        apns: Some(gate.clone() as Arc<dyn Provider>),
        ..Providers::default()
    };
    // One in flight: the other two wait in memory, claimed.
    let dispatcher = Dispatcher::new(
        app.db.clone(),
        providers,
        Arc::new(SystemClock),
        DeliveryConfig {
            concurrency: 1,
            ..DeliveryConfig::default()
        },
    )
    .stopped_by(app.stops.clone());
    let notice = send(
        &app,
        &app.admin,
        json!({"title": "Larm", "body": "…", "priority": "important",
            "audience": {"unit_ids": [unit]}}),
    )
    .await
    .expect(201)
    .id();
    let stop = CancellationToken::new();
    let run = tokio::spawn(dispatcher.run(stop.child_token()));
    while gate.pushed.lock().unwrap().is_empty() {
        tokio::time::sleep(StdDuration::from_millis(5)).await;
    }
    let claimed = deliveries(&app, &notice)
        .await
        .iter()
        .filter(|d| d["status"] == "sending")
        .count();
    assert_eq!(claimed, 3, "all three claimed before the cancel");
    app.call(
        Method::DELETE,
        &format!("/api/v1/notices/{notice}"),
        Some(&app.admin),
        None,
    )
    .await
    .expect(200);
    gate.open.notify_one();
    // The one in flight is written down; the other two never leave.
    for _ in 0..200 {
        let done = deliveries(&app, &notice)
            .await
            .iter()
            .all(|d| d["status"] != "sending");
        if done {
            break;
        }
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
    stop.cancel();
    run.await.unwrap();
    assert_eq!(gate.pushed.lock().unwrap().len(), 1);
    let mut statuses: Vec<String> = deliveries(&app, &notice)
        .await
        .iter()
        .map(|d| d["status"].as_str().unwrap().to_owned())
        .collect();
    statuses.sort();
    assert_eq!(statuses, ["cancelled", "cancelled", "sent"]);
}
both_stores!(a_cancel_stops_pushes_already_claimed);
