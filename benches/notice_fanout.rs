//! Issue 4's performance targets, measured end to end in one process:
//! - a notice to 50,000 employees (one push registration each) planned and written
//!   (audience, schedules, engine, notice + inbox + outbox rows in one transaction);
//! - the dispatcher pushing those 50,000 through the real FCM HTTP v1 client to a
//!   loopback stand-in (token endpoint and `messages:send`);
//! - the process's peak resident memory (`VmHWM`) at the end.
//!
//! `cargo bench --bench notice_fanout` (add `STILLA_BENCH_POSTGRES=postgres://HOST` for
//! PostgreSQL as well; each store gets a fresh database).
use std::{sync::Arc, time::Instant};

use axum::{Json, Router, routing::post};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use sea_orm::{
    ColumnTrait, ConnectionTrait, Database, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, Set,
};
use serde_json::json;
use stilla::{
    audit::Actor,
    auth::{AccessRole, Caller},
    clock::SystemClock,
    db,
    delivery::{DeliveryConfig, Dispatcher},
    demo,
    notices::{
        create,
        input::{Audience, NoticeInput},
    },
    push::{
        Providers,
        fcm::{FcmProvider, ServiceAccount},
        transport::{Lanes, NetworkConfig},
    },
    reachability::{
        Priority,
        pattern::{TimeRange, WorkingHours},
    },
    schedules::policy,
    tenants,
};
use uuid::Uuid;

const EMPLOYEES: usize = 50_000;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// Google, as far as a loopback benchmark needs it: a token and a 200 for every send.
async fn stand_in() -> String {
    let app = Router::new()
        .route(
            "/token",
            post(|| async { Json(json!({"access_token": "bench", "expires_in": 3600})) }),
        )
        .route(
            "/v1/projects/{project}/messages:send",
            post(|| async { Json(json!({"name": "projects/bench/messages/1"})) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

async fn seed(conn: &DatabaseConnection) -> Caller {
    let tenant = tenants::bootstrap_tenant(conn, "Bench").await.unwrap();
    demo::seed(
        conn,
        tenant.tenant_id,
        demo::DemoSize {
            units: 500,
            employees: EMPLOYEES,
            devices: 0,
        },
    )
    .await
    .unwrap();
    let actor = Actor {
        tenant_id: tenant.tenant_id,
        token_id: None,
        name: "bench".to_owned(),
    };
    // Around the clock, so every recipient is due at once and the dispatcher has all
    // 50,000 to push.
    let day = vec![TimeRange {
        start: "00:00".into(),
        end: "24:00".into(),
    }];
    let mut p = policy::get_policy(conn, tenant.tenant_id).await.unwrap();
    p.working_hours = WorkingHours {
        mon: day.clone(),
        tue: day.clone(),
        wed: day.clone(),
        thu: day.clone(),
        fri: day.clone(),
        sat: day.clone(),
        sun: day,
    };
    policy::put_policy(conn, &actor, p).await.unwrap();
    let ids: Vec<Uuid> = entities::employee::Entity::find()
        .select_only()
        .column(entities::employee::Column::Id)
        .filter(entities::employee::Column::TenantId.eq(tenant.tenant_id))
        .into_tuple()
        .all(conn)
        .await
        .unwrap();
    let now = chrono::Utc::now();
    for chunk in ids.chunks(2_000) {
        let rows = chunk
            .iter()
            .map(|id| entities::push_registration::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tenant.tenant_id),
                employee_id: Set(*id),
                provider: Set(entities::vocab::PushProvider::Fcm),
                token: Set(format!("fcm-{id}")),
                platform: Set(None),
                device_id: Set(None),
                app_id: Set(None),
                urgent_off_hours: Set(false),
                created_at: Set(now),
                last_seen_at: Set(now),
                disabled_at: Set(None),
                disabled_reason: Set(None),
            });
        entities::push_registration::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await
            .unwrap();
    }
    Caller {
        tenant_id: tenant.tenant_id,
        principal_id: Uuid::now_v7(),
        signed_in_with: stilla::auth::SignInMethod::Token,
        name: "bench admin".to_owned(),
        role: AccessRole::Admin,
        employee_id: None,
        unit_ids: Vec::new(),
        can_send_urgent: true,
        valid_until: None,
        scope: stilla::auth::ScopeMemo::default(),
    }
}

async fn run(label: &str, url: &str, fcm_base: &str, private_key: &str) {
    let conn = db::connect(url, 8).await.unwrap();
    db::migrate(&conn).await.unwrap();
    let caller = seed(&conn).await;
    let _ = conn.execute_unprepared("ANALYZE").await;
    println!("{label}: seeded, peak RSS so far {:.0} MB", peak_rss_mb());

    let input = NoticeInput {
        title: "Ny rutin för läkemedelshantering".to_owned(),
        body: "Gäller från måndag. Läs igenom före nästa pass.".to_owned(),
        priority: Priority::Important,
        audience: Audience {
            all: true,
            ..Audience::default()
        },
        send_at: None,
        expires_at: None,
        requires_ack: None,
        repeat_until_ack: None,
        urgent_reason: None,
    };
    let limits = stilla::limits::LimitsConfig {
        urgent_notices_per_hour: u32::MAX,
        ..stilla::limits::LimitsConfig::default()
    };
    let started = Instant::now();
    let created = create::create(&conn, &caller, input, None, &limits, chrono::Utc::now())
        .await
        .unwrap();
    let planned = started.elapsed();
    println!(
        "{label}: notice to {} employees planned and written in {:.2?} (summary {:?}), peak RSS {:.0} MB",
        created.notice.stats.recipients,
        planned,
        created.notice.summary,
        peak_rss_mb()
    );

    let account: ServiceAccount = serde_json::from_value(json!({
        "project_id": "bench",
        "client_email": "bench@bench.iam.gserviceaccount.com",
        "private_key": private_key,
        "token_uri": format!("{fcm_base}/token"),
    }))
    .unwrap();
    let providers = Providers {
        fcm: Some(Arc::new(
            FcmProvider::new(
                account,
                fcm_base,
                &NetworkConfig::default(),
                Lanes {
                    connections: 8,
                    streams_per_connection: 100,
                },
            )
            .unwrap(),
        )),
        ..Providers::default()
    };
    let dispatcher = Dispatcher::new(
        conn.clone(),
        providers,
        Arc::new(SystemClock),
        DeliveryConfig::default(),
    );
    let started = Instant::now();
    let mut pushed = 0;
    loop {
        let n = dispatcher.tick().await.unwrap();
        if n == 0 {
            break;
        }
        pushed += n;
    }
    let took = started.elapsed();
    let sent = entities::delivery::Entity::find()
        .filter(entities::delivery::Column::Status.eq("sent"))
        .count(&conn)
        .await
        .unwrap();
    println!(
        "{label}: dispatched {pushed} ({sent} sent) through FCM in {:.2?} = {:.0} pushes/s, peak RSS {:.0} MB",
        took,
        pushed as f64 / took.as_secs_f64(),
        peak_rss_mb()
    );
    conn.close().await.unwrap();
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    if let Ok(filter) = std::env::var("RUST_LOG") {
        tracing_subscriber::fmt().with_env_filter(filter).init();
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut rng = rsa::rand_core::OsRng;
        let key = rsa::RsaPrivateKey::new(&mut rng, 2048)
            .unwrap()
            .to_pkcs8_pem(LineEnding::LF)
            .unwrap()
            .to_string();
        let base = stand_in().await;
        let dir = tempfile::tempdir().unwrap();
        run(
            "SQLite",
            &format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("fanout.db").display()
            ),
            &base,
            &key,
        )
        .await;
        if let Ok(server) = std::env::var("STILLA_BENCH_POSTGRES") {
            let name = format!("stilla_fanout_{}", Uuid::now_v7().simple());
            let admin = Database::connect(format!("{server}/postgres"))
                .await
                .unwrap();
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            run(
                "PostgreSQL",
                &format!("{server}/{name}?sslmode=disable"),
                &base,
                &key,
            )
            .await;
            admin
                .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .await
                .unwrap();
        }
    });
}
