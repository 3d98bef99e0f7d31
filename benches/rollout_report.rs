//! Issue 5's target: the roll-out report for 50,000 employees in 500 units with 40
//! rules, loaded and computed as `GET /reports/rollout` does (JSON included).
//!
//! `cargo bench --bench rollout_report` (add `STILLA_BENCH_POSTGRES=postgres://HOST` for
//! PostgreSQL as well).
use std::time::Instant;

use sea_orm::{ConnectionTrait, Database, EntityTrait, QuerySelect};
use stilla::{
    auth::{AccessRole, Caller, UnitScope},
    db, demo,
    inventory::devices::DeviceKind,
    money::Money,
    rollout::{
        profiles::{self, NewProfile},
        report,
        rules::{self, NewRule},
    },
    tenants,
};
use uuid::Uuid;

async fn run(label: &str, url: &str) {
    let conn = db::connect(url, 8).await.unwrap();
    db::migrate(&conn).await.unwrap();
    let tenant = tenants::bootstrap_tenant(&conn, "Bench").await.unwrap();
    demo::seed(
        &conn,
        tenant.tenant_id,
        demo::DemoSize {
            units: 500,
            employees: 50_000,
            devices: 30_000,
        },
    )
    .await
    .unwrap();
    let actor = Caller {
        tenant_id: tenant.tenant_id,
        principal_id: Uuid::nil(),
        signed_in_with: stilla::auth::SignInMethod::Token,
        name: "bench".to_owned(),
        role: AccessRole::Admin,
        employee_id: None,
        unit_ids: Vec::new(),
        can_send_urgent: false,
        valid_until: None,
        scope: stilla::auth::ScopeMemo::default(),
    };
    let mut profile_ids = Vec::new();
    for (name, kind, price) in [
        ("Telefon bas", DeviceKind::Phone, 300_000),
        ("Telefon plus", DeviceKind::Phone, 900_000),
        ("Surfplatta", DeviceKind::Tablet, 500_000),
    ] {
        let p = profiles::create_profile(
            &conn,
            &actor,
            NewProfile {
                name: name.to_owned(),
                device_kind: kind,
                device_price: Money(price),
                setup_cost: Money(45_000),
                monthly_subscription_cost: Money(14_900),
                monthly_support_cost: Money(3_500),
                lifetime_months: 36,
            },
        )
        .await
        .unwrap();
        profile_ids.push(p.id);
    }
    let roles: Vec<Uuid> = entities::role::Entity::find()
        .select_only()
        .column(entities::role::Column::Id)
        .into_tuple()
        .all(&conn)
        .await
        .unwrap();
    let units: Vec<Uuid> = entities::unit::Entity::find()
        .select_only()
        .column(entities::unit::Column::Id)
        .into_tuple()
        .all(&conn)
        .await
        .unwrap();
    // Every role tenant-wide (6), then 34 unit rules spread over the tree.
    let mut count = 0;
    for (i, role) in roles.iter().enumerate() {
        rules::create_rule(
            &conn,
            &actor,
            NewRule {
                role_id: *role,
                unit_id: None,
                profile_id: Some(profile_ids[i % 3]),
                wave: 1,
            },
        )
        .await
        .unwrap();
        count += 1;
    }
    let mut n = 0;
    while count < 40 {
        let unit = units[(n * 37) % units.len()];
        let role = roles[n % roles.len()];
        let created = rules::create_rule(
            &conn,
            &actor,
            NewRule {
                role_id: role,
                unit_id: Some(unit),
                profile_id: (n % 5 != 0).then(|| profile_ids[n % 3]),
                wave: 1 + (n % 3) as i32,
            },
        )
        .await;
        if created.is_ok() {
            count += 1;
        }
        n += 1;
    }
    let _ = conn.execute_unprepared("ANALYZE").await;
    let today = chrono::Utc::now().date_naive();
    for round in 0..5 {
        let started = Instant::now();
        let inputs = report::load(&conn, tenant.tenant_id, &UnitScope::Tenant, today)
            .await
            .unwrap();
        let loaded = started.elapsed();
        let result = report::compute(&inputs, None);
        let json = serde_json::to_vec(&result).unwrap();
        println!(
            "{label} round {round}: {} rows, headcount {}, {} KB JSON in {:.0?} (loading {:.0?})",
            result.rows.len(),
            result.totals.headcount,
            json.len() / 1024,
            started.elapsed(),
            loaded
        );
    }
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
            &format!(
                "sqlite://{}?mode=rwc",
                dir.path().join("rollout.db").display()
            ),
        )
        .await;
        if let Ok(server) = std::env::var("STILLA_BENCH_POSTGRES") {
            let name = format!("stilla_rollout_{}", Uuid::now_v7().simple());
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
