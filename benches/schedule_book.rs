//! Loading and evaluating the schedules of a notice's whole audience (issue 3): 50,000
//! employees, with a fixed number of queries per 1,000 of them.
//!
//! `cargo bench --bench schedule_book` (add `STILLA_BENCH_POSTGRES=postgres://HOST` for
//! PostgreSQL as well).
use std::time::Instant;

use chrono::{TimeZone, Utc};
use sea_orm::{ConnectionTrait, Database, EntityTrait, QuerySelect};
use stilla::{
    audit::Actor,
    db, demo,
    reachability::{Priority, evaluate, pattern::WorkingHours},
    schedules::{book::ScheduleBook, policy},
    tenants,
};
use uuid::Uuid;

const EMPLOYEES: usize = 50_000;

async fn run(label: &str, url: &str) {
    let conn = db::connect(url, 4).await.unwrap();
    db::migrate(&conn).await.unwrap();
    let tenant = tenants::bootstrap_tenant(&conn, "Bench").await.unwrap();
    let size = demo::DemoSize {
        units: 500,
        employees: EMPLOYEES,
        devices: 0,
    };
    demo::seed(&conn, tenant.tenant_id, size).await.unwrap();
    let actor = Actor {
        tenant_id: tenant.tenant_id,
        token_id: None,
        name: "bench".to_owned(),
    };
    let day = vec![stilla::reachability::pattern::TimeRange {
        start: "07:00".into(),
        end: "16:00".into(),
    }];
    let hours = WorkingHours {
        mon: day.clone(),
        tue: day.clone(),
        wed: day.clone(),
        thu: day.clone(),
        fri: day,
        ..Default::default()
    };
    let mut p = policy::get_policy(&conn, tenant.tenant_id).await.unwrap();
    p.working_hours = hours;
    policy::put_policy(&conn, &actor, p).await.unwrap();
    policy::add_swedish_holidays(&conn, &actor, 2026)
        .await
        .unwrap();
    let ids: Vec<Uuid> = entities::employee::Entity::find()
        .select_only()
        .column(entities::employee::Column::Id)
        .into_tuple()
        .all(&conn)
        .await
        .unwrap();
    let at = Utc.with_ymd_and_hms(2026, 11, 20, 18, 0, 0).unwrap();
    for round in 0..3 {
        let started = Instant::now();
        let book = ScheduleBook::load(&conn, tenant.tenant_id, &ids, at)
            .await
            .unwrap();
        let loaded = started.elapsed();
        let mut held = 0;
        for id in &ids {
            let d = evaluate(&book.schedule(*id).unwrap(), Priority::Info, at);
            held += usize::from(d.deliver_at != Some(at));
        }
        println!(
            "{label} round {round}: {} employees loaded in {:.0?}, evaluated in {:.0?} more ({held} held)",
            ids.len(),
            loaded,
            started.elapsed().checked_sub(loaded).unwrap()
        );
    }
    let _ = conn.execute_unprepared("SELECT 1").await;
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        run(
            "SQLite",
            &format!("sqlite://{}?mode=rwc", dir.path().join("book.db").display()),
        )
        .await;
        if let Ok(server) = std::env::var("STILLA_BENCH_POSTGRES") {
            let name = format!("stilla_book_{}", Uuid::now_v7().simple());
            let admin = Database::connect(format!("{server}/postgres"))
                .await
                .unwrap();
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
            run("PostgreSQL", &format!("{server}/{name}?sslmode=disable")).await;
            admin
                .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
                .await
                .unwrap();
        }
    });
}
