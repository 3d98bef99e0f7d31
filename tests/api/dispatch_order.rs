//! The dispatcher's pipeline: the order pushes leave in (an urgent notice overtakes info
//! waiting before it; a large notice of one tenant does not hold back another tenant's
//! notice due after it), outcomes written as each push finishes, and a clean stop.
use std::sync::Arc;

use chrono::{Duration, Utc};
use entities::{delivery, vocab::PushProvider};
use reqwest::Method;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use stilla::{
    clock::SystemClock,
    delivery::{DeliveryConfig, Dispatcher},
    push::{Provider, Providers, Push, PushOutcome},
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::helpers::{TestApp, both_stores};

/// Working time around the clock, so nothing is held.
pub async fn always_open(app: &TestApp, admin: &str) {
    let day = json!([{"start": "00:00", "end": "24:00"}]);
    app.call(
        Method::PUT,
        "/api/v1/policy",
        Some(admin),
        Some(
            json!({"time_zone": "Europe/Stockholm", "working_hours": {"mon": day,
            "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day}}),
        ),
    )
    .await
    .expect(200);
}

pub async fn unit_and_role(app: &TestApp, admin: &str) -> (String, String) {
    let unit = app
        .post("/api/v1/units", admin, json!({"name": "Vårdavdelning"}))
        .await
        .expect(201)
        .id();
    let role = app
        .post("/api/v1/roles", admin, json!({"name": "Sjuksköterska"}))
        .await
        .expect(201)
        .id();
    (unit, role)
}

fn notice(title: &str, priority: &str, audience: Value, send_at: chrono::DateTime<Utc>) -> Value {
    let mut body = json!({"title": title, "body": "…", "priority": priority,
        "audience": audience, "send_at": send_at.to_rfc3339()});
    if priority == "urgent" {
        body["urgent_reason"] = json!("Larm: personal behövs nu");
    }
    body
}

async fn urgent_first_and_no_tenant_waits_behind_anothers_crowd(app: TestApp) {
    const CROWD: usize = 300;
    always_open(&app, &app.admin).await;
    let (unit, role) = unit_and_role(&app, &app.admin).await;
    let crowd = app
        .people_with_phones(None, &unit, &role, CROWD, PushProvider::Log)
        .await;
    let (other, other_admin) = app.other_tenant().await;
    always_open(&app, &other_admin).await;
    let (other_unit, other_role) = unit_and_role(&app, &other_admin).await;
    let neighbour = app
        .people_with_phones(Some(other), &other_unit, &other_role, 1, PushProvider::Log)
        .await;

    // All three fall due within a fifth of a second, the crowd's first.
    let at = Utc::now() + Duration::minutes(10);
    app.post(
        "/api/v1/notices",
        &app.admin,
        notice("Till alla", "info", json!({"unit_ids": [unit]}), at),
    )
    .await
    .expect(201);
    app.post(
        "/api/v1/notices",
        &other_admin,
        notice(
            "Grannregionen",
            "info",
            json!({"employee_ids": [neighbour[0]]}),
            at + Duration::milliseconds(100),
        ),
    )
    .await
    .expect(201);
    app.post(
        "/api/v1/notices",
        &app.admin,
        notice(
            "Larm",
            "urgent",
            json!({"employee_ids": [crowd[7]]}),
            at + Duration::milliseconds(200),
        ),
    )
    .await
    .expect(201);

    // One push at a time, so the order they leave in is the queue's.
    let config = DeliveryConfig {
        batch_size: 10,
        concurrency: 1,
        ..DeliveryConfig::default()
    };
    let dispatcher = app.dispatcher(Duration::minutes(11), config);
    assert_eq!(dispatcher.tick().await.unwrap(), CROWD + 2);
    let order: Vec<String> = app
        .recorder
        .pushes()
        .iter()
        .map(|p| p.title.clone())
        .collect();
    assert_eq!(order.len(), CROWD + 2);
    assert_eq!(order[0], "Larm", "urgent overtakes the crowd due before it");
    let neighbour_at = order.iter().position(|t| t == "Grannregionen").unwrap();
    // The crowd's deliveries are spread over 512 ms of queue; the neighbour's, due
    // 100 ms after theirs, go after about a fifth of them (in plain due order: last).
    assert!(
        neighbour_at < CROWD / 2,
        "the other tenant's notice waited behind {neighbour_at} of {CROWD}"
    );
}
both_stores!(urgent_first_and_no_tenant_waits_behind_anothers_crowd);

/// Pushes after a pause: for the token `only_for` alone, or for all when `None`.
struct Slow {
    only_for: Option<String>,
    pause: std::time::Duration,
    pushed: std::sync::atomic::AtomicUsize,
}

#[async_trait::async_trait]
impl Provider for Slow {
    async fn send(&self, push: &Push) -> PushOutcome {
        if self.only_for.as_ref().is_none_or(|t| *t == push.token) {
            tokio::time::sleep(self.pause).await;
        }
        self.pushed
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        PushOutcome::Sent
    }
}

fn dispatcher_with(app: &TestApp, slow: Arc<Slow>, config: DeliveryConfig) -> Dispatcher {
    let providers = Providers {
        fcm: Some(slow),
        ..Providers::default()
    };
    Dispatcher::new(app.db.clone(), providers, Arc::new(SystemClock), config)
}

async fn statuses(app: &TestApp) -> Vec<(String, i32)> {
    let rows = delivery::Entity::find().all(&app.db).await.unwrap();
    rows.into_iter()
        .map(|d| (d.status.to_string(), d.attempts))
        .collect()
}

pub async fn crowd_notice(app: &TestApp, people: usize) -> Vec<Uuid> {
    always_open(app, &app.admin).await;
    let (unit, role) = unit_and_role(app, &app.admin).await;
    let crowd = app
        .people_with_phones(None, &unit, &role, people, PushProvider::Fcm)
        .await;
    app.post(
        "/api/v1/notices",
        &app.admin,
        json!({"title": "Till alla", "body": "…", "priority": "info",
            "audience": {"unit_ids": [unit]}}),
    )
    .await
    .expect(201);
    crowd
}

async fn a_slow_push_holds_back_no_other_outcome(app: TestApp) {
    let crowd = crowd_notice(&app, 20).await;
    let slow = Arc::new(Slow {
        only_for: Some(format!("token-{}", crowd[3])),
        pause: std::time::Duration::from_millis(1_500),
        pushed: 0.into(),
    });
    let dispatcher = dispatcher_with(&app, slow, DeliveryConfig::default());
    let stop = CancellationToken::new();
    let run = tokio::spawn(dispatcher.run(stop.child_token()));
    // The other nineteen are written down while the slow one is still on its way.
    let mut seen = Vec::new();
    for _ in 0..100 {
        seen = statuses(&app).await;
        if seen.iter().filter(|(s, _)| s == "sent").count() == 19 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(seen.iter().filter(|(s, _)| s == "sent").count(), 19);
    assert_eq!(seen.iter().filter(|(s, _)| s == "sending").count(), 1);
    stop.cancel();
    run.await.unwrap();
    // Stopping waited for the push in flight and wrote it down.
    assert!(statuses(&app).await.iter().all(|(s, _)| s == "sent"));
}
both_stores!(a_slow_push_holds_back_no_other_outcome);

async fn stopping_puts_claimed_but_unpushed_rows_back_in_the_queue(app: TestApp) {
    crowd_notice(&app, 20).await;
    let slow = Arc::new(Slow {
        only_for: None,
        pause: std::time::Duration::from_millis(300),
        pushed: 0.into(),
    });
    let config = DeliveryConfig {
        batch_size: 10,
        concurrency: 1,
        ..DeliveryConfig::default()
    };
    let dispatcher = dispatcher_with(&app, slow.clone(), config);
    let stop = CancellationToken::new();
    let run = tokio::spawn(dispatcher.run(stop.child_token()));
    while statuses(&app).await.iter().all(|(s, _)| s != "sending") {
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    stop.cancel();
    run.await.unwrap();
    let pushed = slow.pushed.load(std::sync::atomic::Ordering::Relaxed);
    let seen = statuses(&app).await;
    assert_eq!(seen.iter().filter(|(s, _)| s == "sent").count(), pushed);
    // The rest wait for the next dispatcher, with no attempt counted against them.
    let waiting: Vec<_> = seen.iter().filter(|(s, _)| s != "sent").collect();
    assert_eq!(waiting.len(), 20 - pushed);
    assert!(pushed < 20, "stopped before the end");
    assert!(
        waiting
            .iter()
            .all(|(s, attempts)| s == "scheduled" && *attempts == 0),
        "{waiting:?}"
    );
    // And the next one takes them at once.
    let next = Arc::new(Slow {
        only_for: None,
        pause: std::time::Duration::ZERO,
        pushed: 0.into(),
    });
    let handled = dispatcher_with(&app, next, DeliveryConfig::default())
        .tick()
        .await
        .unwrap();
    assert_eq!(handled, 20 - pushed);
}
both_stores!(stopping_puts_claimed_but_unpushed_rows_back_in_the_queue);

/// A notice's outbox rows are written in the order they will be claimed, ids too, so
/// that a claim and its outcomes touch neighbouring rows rather than one to a page.
async fn the_outbox_is_written_in_queue_order(app: TestApp) {
    crowd_notice(&app, 300).await;
    let mut rows = delivery::Entity::find().all(&app.db).await.unwrap();
    rows.sort_by_key(|d| d.id);
    let by_id: Vec<Uuid> = rows.iter().map(|d| d.id).collect();
    rows.sort_by_key(|d| (d.queue_at, d.registration_id));
    let by_queue: Vec<Uuid> = rows.iter().map(|d| d.id).collect();
    assert_eq!(by_id, by_queue);
    // And the queue is spread, not in the order people were added.
    let mut people: Vec<Uuid> = rows.iter().map(|d| d.employee_id).collect();
    let in_queue = people.clone();
    people.sort();
    assert_ne!(in_queue, people);
}
both_stores!(the_outbox_is_written_in_queue_order);
