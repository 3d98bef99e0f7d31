//! Cancel and acknowledge stop every push that has not left: the waiting rows in their
//! own transaction, and the ones a dispatcher has claimed right before they are sent.
use std::{sync::Arc, time::Duration as StdDuration};

use chrono::Duration;
use reqwest::Method;
use sea_orm::ConnectionTrait;
use secrecy::SecretString;
use serde_json::json;
use stilla::{
    clock::SystemClock,
    delivery::{DeliveryConfig, Dispatcher, Stops, broadcast},
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

/// Whether `ready` comes true within five seconds, asked every 10 ms.
async fn within_seconds(mut ready: impl AsyncFnMut() -> bool) -> bool {
    for _ in 0..500 {
        if ready().await {
            return true;
        }
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
    false
}

/// Cancels `notice` through the API as the admin.
async fn cancel(app: &TestApp, notice: &str) {
    app.call(
        Method::DELETE,
        &format!("/api/v1/notices/{notice}"),
        Some(&app.admin),
        None,
    )
    .await
    .expect(200);
}

/// What stops the claimed rows in [`claimed_then_stopped`].
#[derive(Clone, Copy)]
enum Stopping {
    /// `DELETE /api/v1/notices/{id}` by the admin.
    Cancel,
    /// Everyone acknowledges it in their inbox.
    AckByAll,
}

/// Three people on call get an important notice; a dispatcher that tells stops by
/// `theirs` claims all three rows, pushes one and holds it in flight (the other two
/// wait in memory), then the notice is stopped through the app. Once `heard` says so,
/// the push in flight finishes. Answers what was pushed and how the rows ended, sorted.
async fn claimed_then_stopped(
    app: &TestApp,
    theirs: Stops,
    stopping: Stopping,
    heard: impl AsyncFn(&Stops, &str, &[String]) -> bool,
) -> (usize, Vec<String>) {
    let unit = app.unit("Avd 9", None).await;
    let role = app.role("Undersköterska").await;
    let mut people = Vec::new();
    for n in 0..3 {
        let who = app.employee(&format!("u{n}@region.se"), &unit, &role).await;
        crate::notices::always_working(app, &who).await;
        phone(app, &who).await;
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
    .stopped_by(theirs.clone());
    let notice = send(
        app,
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
    let claimed = deliveries(app, &notice)
        .await
        .iter()
        .filter(|d| d["status"] == "sending")
        .count();
    assert_eq!(claimed, 3, "all three claimed before the stop");
    match stopping {
        Stopping::Cancel => cancel(app, &notice).await,
        Stopping::AckByAll => {
            for who in &people {
                let token = employee_token(app, who).await;
                app.post(
                    &format!("/api/v1/me/notices/{notice}/ack"),
                    &token,
                    json!({}),
                )
                .await
                .expect(200);
            }
        }
    }
    within_seconds(async || heard(&theirs, &notice, &people).await).await;
    gate.open.notify_one();
    // The one in flight is written down; the other two never leave.
    within_seconds(async || {
        deliveries(app, &notice)
            .await
            .iter()
            .all(|d| d["status"] != "sending")
    })
    .await;
    stop.cancel();
    run.await.unwrap();
    let mut statuses: Vec<String> = deliveries(app, &notice)
        .await
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d["status"].as_str().unwrap(),
                d["last_error"].as_str().unwrap_or("")
            )
        })
        .collect();
    statuses.sort();
    let pushed = gate.pushed.lock().unwrap().len();
    (pushed, statuses)
}

/// Already heard: nothing to wait for.
async fn at_once(_: &Stops, _: &str, _: &[String]) -> bool {
    true
}

/// Rows already claimed, waiting in the dispatcher for a place in flight, are not pushed
/// once `DELETE` has answered.
async fn a_cancel_stops_pushes_already_claimed(app: TestApp) {
    let ours = app.stops.clone();
    let (pushed, statuses) = claimed_then_stopped(&app, ours, Stopping::Cancel, at_once).await;
    assert_eq!(pushed, 1);
    assert_eq!(
        statuses,
        ["cancelled cancelled", "cancelled cancelled", "sent "]
    );
}
both_stores!(a_cancel_stops_pushes_already_claimed);

/// A dispatcher that may have missed stops since it claimed (its process was not
/// listening yet, or lost the connection it listens on) asks the database right before
/// pushing: the rows it holds of a notice cancelled meanwhile do not leave.
async fn a_dispatcher_that_may_have_missed_a_cancel_asks_before_pushing(app: TestApp) {
    // Another process's, which has not heard anything since before the claim.
    let theirs = Stops::default();
    theirs.lost_hearing();
    let (pushed, statuses) = claimed_then_stopped(&app, theirs, Stopping::Cancel, at_once).await;
    assert_eq!(pushed, 1);
    assert_eq!(
        statuses,
        ["cancelled cancelled", "cancelled cancelled", "sent "]
    );
}
both_stores!(a_dispatcher_that_may_have_missed_a_cancel_asks_before_pushing);

/// A second process on the same PostgreSQL database, listening for announced stops.
async fn another_process(app: &TestApp, shutdown: &CancellationToken) -> Stops {
    let theirs = Stops::default();
    theirs.lost_hearing();
    tokio::spawn(broadcast::listen(
        SecretString::from(app.database_url.clone()),
        theirs.clone(),
        shutdown.child_token(),
    ));
    let listening = within_seconds(async || theirs.heard_everything_since(theirs.hearing())).await;
    assert!(listening, "the second process never started listening");
    theirs
}

/// Two processes on one PostgreSQL database: the admin's cancel and the staff's
/// acknowledgements taken by one stop the rows the other's dispatcher had already
/// claimed, heard through the database as the change commits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stops_made_in_one_process_reach_the_rows_another_has_claimed() {
    for stopping in [Stopping::Cancel, Stopping::AckByAll] {
        let Some(app) = TestApp::postgres_with(|_| {}).await else {
            eprintln!("skipped: set STILLA_TEST_POSTGRES to run against PostgreSQL");
            return;
        };
        let shutdown = CancellationToken::new();
        let theirs = another_process(&app, &shutdown).await;
        let (pushed, statuses) =
            claimed_then_stopped(&app, theirs, stopping, async |theirs, notice, people| {
                let notice = notice.parse().unwrap();
                people
                    .iter()
                    .all(|who| theirs.stopped(notice, who.parse().unwrap()).is_some())
            })
            .await;
        shutdown.cancel();
        assert_eq!(pushed, 1, "only the push in flight left");
        let expected = match stopping {
            Stopping::Cancel => ["cancelled cancelled", "cancelled cancelled", "sent "],
            Stopping::AckByAll => ["cancelled acked", "cancelled acked", "sent "],
        };
        assert_eq!(statuses, expected);
    }
}

/// The connection a process listens on is cut (a database restart, a firewall): it
/// counts itself deaf at once — so that its claims are checked in the database before
/// they are pushed — listens again, and hears the next cancel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_that_loses_its_listening_connection_knows_it_and_listens_again() {
    let Some(app) = TestApp::postgres_with(|_| {}).await else {
        eprintln!("skipped: set STILLA_TEST_POSTGRES to run against PostgreSQL");
        return;
    };
    let shutdown = CancellationToken::new();
    let theirs = another_process(&app, &shutdown).await;
    let before = theirs.hearing();
    app.db
        .execute_unprepared(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND query LIKE 'LISTEN%'",
        )
        .await
        .unwrap();
    let noticed = within_seconds(async || !theirs.heard_everything_since(before)).await;
    assert!(noticed, "the lost connection went unnoticed");
    let again = within_seconds(async || theirs.heard_everything_since(theirs.hearing())).await;
    assert!(again, "never listened again");

    let unit = app.unit("Avd 3", None).await;
    let role = app.role("Läkare").await;
    let who = app.employee("l@region.se", &unit, &role).await;
    let notice = send(
        &app,
        &app.admin,
        json!({"title": "Möte", "body": "…", "priority": "info",
            "audience": {"employee_ids": [who]}}),
    )
    .await
    .expect(201)
    .id();
    cancel(&app, &notice).await;
    let (notice, who) = (notice.parse().unwrap(), who.parse().unwrap());
    let heard = within_seconds(async || theirs.stopped(notice, who).is_some()).await;
    shutdown.cancel();
    assert!(heard, "the cancel after the reconnection was not heard");
}
