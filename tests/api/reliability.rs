//! Delivery under stress: two dispatchers on one database push 10,000 deliveries
//! exactly once between them; a dispatcher killed mid-batch loses nothing, and pushes
//! again only what it had pushed without writing it down.
use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration as StdDuration,
};

use entities::vocab::PushProvider;
use reqwest::Method;
use serde_json::json;
use stilla::{
    clock::SystemClock,
    delivery::{DeliveryConfig, Dispatcher},
    push::{Provider, Providers, Push, PushOutcome},
};
use tokio_util::sync::CancellationToken;

use crate::helpers::{TestApp, both_stores};

const PEOPLE: usize = 10_000;

/// Counts pushes per device token, after a pause that lets dispatchers interleave.
struct Counting {
    pushes: Arc<Mutex<HashMap<String, u32>>>,
    mine: AtomicUsize,
    pause: StdDuration,
}

#[async_trait::async_trait]
impl Provider for Counting {
    async fn send(&self, push: &Push) -> PushOutcome {
        tokio::time::sleep(self.pause).await;
        *self
            .pushes
            .lock()
            .unwrap()
            .entry(push.token.clone())
            .or_default() += 1;
        self.mine.fetch_add(1, Ordering::Relaxed);
        PushOutcome::Sent
    }
}

/// 10,000 employees working around the clock, one phone each, and a notice to all.
/// The notice's id.
async fn ten_thousand_due(app: &TestApp) -> String {
    due_to(app, PEOPLE).await
}

/// `people` employees working around the clock, one phone each, and a notice to all.
async fn due_to(app: &TestApp, people: usize) -> String {
    let day = json!([{"start": "00:00", "end": "24:00"}]);
    app.call(
        Method::PUT,
        "/api/v1/policy",
        Some(&app.admin),
        Some(
            json!({"time_zone": "Europe/Stockholm", "working_hours": {"mon": day, "tue": day,
            "wed": day, "thu": day, "fri": day, "sat": day, "sun": day}}),
        ),
    )
    .await
    .expect(200);
    let unit = app.unit("Sjukhuset", None).await;
    let role = app.role("Sjuksköterska").await;
    app.people_with_phones(None, &unit, &role, people, PushProvider::Fcm)
        .await;
    let sent = app
        .post(
            "/api/v1/notices",
            &app.admin,
            json!({"title": "Till alla", "body": "Ny rutin", "priority": "info",
                "audience": {"unit_ids": [unit]}}),
        )
        .await
        .expect(201)
        .json;
    assert_eq!(sent["summary"]["now"], people);
    sent["id"].as_str().unwrap().to_owned()
}

fn dispatcher(
    app: &TestApp,
    pushes: &Arc<Mutex<HashMap<String, u32>>>,
    pause: StdDuration,
    config: DeliveryConfig,
) -> (Dispatcher, Arc<Counting>) {
    let counting = Arc::new(Counting {
        pushes: pushes.clone(),
        mine: AtomicUsize::new(0),
        pause,
    });
    let providers = Providers {
        fcm: Some(counting.clone()),
        ..Providers::default()
    };
    let d = Dispatcher::new(app.db.clone(), providers, Arc::new(SystemClock), config);
    (d, counting)
}

async fn sent_count(app: &TestApp) -> i64 {
    let rows = app.count("deliveries").await;
    assert_eq!(rows, PEOPLE as i64);
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    entities::delivery::Entity::find()
        .filter(entities::delivery::Column::Status.eq("sent"))
        .count(&app.db)
        .await
        .unwrap() as i64
}

async fn wait_until_all_sent(app: &TestApp) {
    for _ in 0..1_200 {
        if sent_count(app).await == PEOPLE as i64 {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(50)).await;
    }
    panic!("not all sent: {}", sent_count(app).await);
}

async fn two_dispatchers_push_every_delivery_exactly_once(app: TestApp) {
    ten_thousand_due(&app).await;
    let pushes = Arc::new(Mutex::new(HashMap::new()));
    let config = DeliveryConfig {
        batch_size: 200,
        concurrency: 32,
        poll_interval_ms: 10,
        ..DeliveryConfig::default()
    };
    let pause = StdDuration::from_micros(200);
    let (a, a_count) = dispatcher(&app, &pushes, pause, config.clone());
    let (b, b_count) = dispatcher(&app, &pushes, pause, config);
    let stop = CancellationToken::new();
    let runs = [
        tokio::spawn(a.run(stop.child_token())),
        tokio::spawn(b.run(stop.child_token())),
    ];
    wait_until_all_sent(&app).await;
    stop.cancel();
    for run in runs {
        run.await.unwrap();
    }
    let pushes = pushes.lock().unwrap();
    assert_eq!(pushes.len(), PEOPLE, "every phone got its push");
    assert!(pushes.values().all(|n| *n == 1), "and only one");
    let (a, b) = (
        a_count.mine.load(Ordering::Relaxed),
        b_count.mine.load(Ordering::Relaxed),
    );
    assert_eq!(a + b, PEOPLE);
    assert!(a > 0 && b > 0, "both took part: {a} + {b}");
}
both_stores!(two_dispatchers_push_every_delivery_exactly_once);

async fn a_dispatcher_killed_mid_batch_loses_nothing(app: TestApp) {
    let notice = ten_thousand_due(&app).await;
    let pushes = Arc::new(Mutex::new(HashMap::new()));
    let batch = 100;
    let config = DeliveryConfig {
        batch_size: batch,
        concurrency: 8,
        poll_interval_ms: 10,
        lease_seconds: 1,
        ..DeliveryConfig::default()
    };
    // The doomed one is slow, so it dies with a claimed batch half pushed, and writes
    // its outcomes only every ten seconds, so it dies before writing any of them.
    let (doomed, doomed_count) = dispatcher(
        &app,
        &pushes,
        StdDuration::from_millis(100),
        DeliveryConfig {
            record_every_ms: 10_000,
            ..config.clone()
        },
    );
    let doomed_run = tokio::spawn(doomed.run(CancellationToken::new()));
    while doomed_count.mine.load(Ordering::Relaxed) < 10 {
        tokio::time::sleep(StdDuration::from_millis(5)).await;
    }
    doomed_run.abort();
    let _ = doomed_run.await;

    let (survivor, _) = dispatcher(&app, &pushes, StdDuration::ZERO, config);
    let stop = CancellationToken::new();
    let run = tokio::spawn(survivor.run(stop.child_token()));
    wait_until_all_sent(&app).await;
    stop.cancel();
    run.await.unwrap();

    let pushes = pushes.lock().unwrap().clone();
    assert_eq!(pushes.len(), PEOPLE, "nothing lost");
    let twice = pushes.values().filter(|n| **n > 1).count();
    assert_eq!(
        twice,
        doomed_count.mine.load(Ordering::Relaxed),
        "what it pushed and never wrote down went again (at-least-once), nothing else did"
    );
    assert!(pushes.values().all(|n| *n <= 2));
    // The notice counts what may have gone twice: every row taken over from the dead
    // dispatcher, which covers each one it did push.
    let stats = crate::notices::notice_stats(&app, &notice).await;
    let maybe_twice = stats["maybe_twice"].as_u64().unwrap() as usize;
    assert!(
        maybe_twice >= twice && maybe_twice <= 2 * batch as usize,
        "{twice} pushed twice, {maybe_twice} counted as maybe"
    );
    assert_eq!(stats["sent"], PEOPLE);
    assert_eq!(stats["dead"], 0);
}
both_stores!(a_dispatcher_killed_mid_batch_loses_nothing);

/// A row whose every dispatcher dies holding it (a push that crashes the process) is
/// taken over four times, then ends `dead` with its reason, counted in the notice.
async fn a_row_that_kills_its_dispatcher_five_times_ends_dead(app: TestApp) {
    use stilla::delivery::claim::{ClaimTerms, claim};
    let unit = app.unit("Avd 3", None).await;
    let role = app.role("Läkare").await;
    let doctor = app.employee("d@region.se", &unit, &role).await;
    crate::notices::always_working(&app, &doctor).await;
    crate::notices::phone(&app, &doctor).await;
    let notice = app
        .post(
            "/api/v1/notices",
            &app.admin,
            json!({"title": "Rond", "body": "…", "priority": "info",
                "audience": {"employee_ids": [doctor]}}),
        )
        .await
        .expect(201)
        .id();
    // Leases that lapse at once: each claim finds the last one's lapsed.
    let terms = ClaimTerms {
        limit: 10,
        lease_seconds: 0,
        max_lost_claims: 5,
    };
    let mut claims = 0;
    for _ in 0..8 {
        let claimed = claim(&app.db, uuid::Uuid::now_v7(), terms, chrono::Utc::now())
            .await
            .unwrap();
        claims += claimed.len();
        tokio::time::sleep(StdDuration::from_millis(20)).await;
    }
    assert_eq!(claims, 5, "claimed five times, never a sixth");
    let row = crate::notices::deliveries(&app, &notice).await[0].clone();
    assert_eq!(row["status"], "dead");
    assert_eq!(
        row["last_error"],
        "claimed 5 times by dispatchers that stopped before writing an outcome"
    );
    let stats = crate::notices::notice_stats(&app, &notice).await;
    assert_eq!(
        (stats["dead"].as_u64(), stats["scheduled"].as_u64()),
        (Some(1), Some(0))
    );
    // Nothing is pushed of it any more.
    assert_eq!(app.dispatch().await, 0);
    assert!(app.recorder.pushes().is_empty());
}
both_stores!(a_row_that_kills_its_dispatcher_five_times_ends_dead);

/// The store refuses to take the outcomes for a while (a PostgreSQL blip, SQLite busy
/// in a large fan-out): the recorder tries again until it can, and nothing that went
/// out is pushed again — not by this dispatcher, nor by one that comes after the
/// leases would have lapsed.
async fn a_failed_outcome_write_pushes_nothing_again(app: TestApp) {
    const CROWD: usize = 300;
    let notice = due_to(&app, CROWD).await;
    refuse_outcomes(&app, true).await;
    let pushes = Arc::new(Mutex::new(HashMap::new()));
    let config = DeliveryConfig {
        batch_size: 100,
        record_every_ms: 5,
        ..DeliveryConfig::default()
    };
    let (first, count) = dispatcher(&app, &pushes, StdDuration::ZERO, config.clone());
    let dispatching = tokio::spawn(async move { first.tick().await });
    while count.mine.load(Ordering::Relaxed) < CROWD {
        tokio::time::sleep(StdDuration::from_millis(5)).await;
    }
    // Every push is out, none written down; the recorder keeps trying meanwhile.
    tokio::time::sleep(StdDuration::from_millis(400)).await;
    let stats = crate::notices::notice_stats(&app, &notice).await;
    assert_eq!(stats["sent"], 0, "{stats}");
    refuse_outcomes(&app, false).await;
    dispatching
        .await
        .unwrap()
        .expect("the outcomes were written in the end");

    let stats = crate::notices::notice_stats(&app, &notice).await;
    assert_eq!(stats["sent"], CROWD, "{stats}");
    // A dispatcher that comes after every lease would have lapsed finds nothing to do.
    let later = Dispatcher::new(
        app.db.clone(),
        Providers {
            fcm: Some(count.clone()),
            ..Providers::default()
        },
        Arc::new(crate::helpers::Later(chrono::Duration::seconds(
            i64::from(config.lease_seconds) * 2,
        ))),
        config,
    );
    assert_eq!(later.tick().await.unwrap(), 0);
    let pushes = pushes.lock().unwrap();
    assert_eq!(pushes.len(), CROWD);
    assert!(pushes.values().all(|n| *n == 1), "each pushed once");
    assert_eq!(stats["maybe_twice"], 0);
}
both_stores!(a_failed_outcome_write_pushes_nothing_again);

/// Makes the store refuse (or take again) every change to a row being sent: a trigger
/// that fails the statement, so the recorder's transaction fails as on a real fault.
async fn refuse_outcomes(app: &TestApp, refuse: bool) {
    use sea_orm::{ConnectionTrait, DbBackend};
    let backend = app.db.get_database_backend();
    let statements: Vec<&str> = match (backend, refuse) {
        (DbBackend::Postgres, true) => vec![
            "CREATE FUNCTION refuse_outcomes() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN RAISE EXCEPTION 'injected fault: outcomes refused'; END $$",
            "CREATE TRIGGER refuse_outcomes BEFORE UPDATE ON deliveries FOR EACH ROW \
             WHEN (OLD.status = 'sending') EXECUTE FUNCTION refuse_outcomes()",
        ],
        (DbBackend::Postgres, false) => vec!["DROP TRIGGER refuse_outcomes ON deliveries"],
        (_, true) => vec![
            "CREATE TRIGGER refuse_outcomes BEFORE UPDATE ON deliveries \
             WHEN OLD.status = 'sending' \
             BEGIN SELECT RAISE(ABORT, 'injected fault: outcomes refused'); END",
        ],
        (_, false) => vec!["DROP TRIGGER refuse_outcomes"],
    };
    for sql in statements {
        app.db.execute_unprepared(sql).await.unwrap();
    }
}
