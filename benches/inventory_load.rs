//! Load run for the inventory (issue 2's targets), run with
//! `cargo bench --bench inventory_load` (add `STILLA_BENCH_POSTGRES=postgres://...` to
//! include PostgreSQL).
//!
//! For each store: a fresh database with 100,000 devices in 100 units, then 64
//! concurrent clients each asking for filtered pages of 50, and the latency
//! percentiles of all their requests; and the time to import a 10,000-row device CSV
//! through the API. Client and server share this process and its cores, so the numbers
//! include the client's own cost.
use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use chrono::Utc;
use sea_orm::{ConnectionTrait, Database, EntityTrait};
use secrecy::SecretString;
use serde_json::json;
use stilla::{
    app::App,
    config::Config,
    inventory::devices::{self, DeviceKind, NewDevice, Ownership},
    money::Money,
    org::KnownIds,
};
use uuid::Uuid;

const DEVICES: usize = 100_000;
const UNITS: usize = 100;
/// Concurrent clients and requests each; `STILLA_BENCH_CLIENTS` and
/// `STILLA_BENCH_REQUESTS` override them (one client shows a request's own cost).
fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
const IMPORT_ROWS: usize = 10_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index]
}

fn imei(n: u64) -> String {
    let body = format!("35{n:012}");
    let sum: u32 = body
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, c)| {
            let d = u32::from(c - b'0');
            if i % 2 == 0 {
                if d * 2 > 9 { d * 2 - 9 } else { d * 2 }
            } else {
                d
            }
        })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

async fn seed(db: &sea_orm::DatabaseConnection, token: &str, base: &str) -> Vec<String> {
    let client = reqwest::Client::new();
    let mut units = Vec::new();
    for n in 0..UNITS {
        let unit: serde_json::Value = client
            .post(format!("{base}/api/v1/units"))
            .bearer_auth(token)
            .json(&json!({"name": format!("Avdelning {n}")}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        units.push(unit["id"].as_str().unwrap().to_owned());
    }
    let tenant_id: Uuid = entities::tenant::Entity::find()
        .one(db)
        .await
        .unwrap()
        .unwrap()
        .id;
    let known = KnownIds::load(db, tenant_id).await.unwrap();
    let unit_ids: Vec<Uuid> = units.iter().map(|u| u.parse().unwrap()).collect();
    let started = Instant::now();
    let now = Utc::now();
    for chunk in (0..DEVICES).collect::<Vec<_>>().chunks(1_000) {
        let models: Vec<_> = chunk
            .iter()
            .map(|&n| {
                let input = NewDevice {
                    kind: if n % 4 == 0 {
                        DeviceKind::Tablet
                    } else {
                        DeviceKind::Phone
                    },
                    manufacturer: if n % 3 == 0 { "Samsung" } else { "Apple" }.to_owned(),
                    model: format!("Model {}", n % 17),
                    serial_number: format!("SEED-{n:07}"),
                    imei: Some(imei(n as u64)),
                    ownership: Ownership::Organization,
                    status: None,
                    unit_id: Some(unit_ids[n % UNITS]),
                    purchase_price: Some(Money(499_500)),
                    purchased_on: None,
                    warranty_ends_on: None,
                };
                let mut model = devices::new_active_model(
                    tenant_id,
                    devices::validate_device(&input, &known).unwrap(),
                    now,
                );
                // A realistic spread of statuses: most in use, some in stock, a few elsewhere.
                let status = match (n / 4) % 10 {
                    0..=5 => "assigned",
                    6 | 7 => "in_stock",
                    8 => "in_repair",
                    _ => "retired",
                };
                model.status = sea_orm::Set(status.to_owned());
                if status == "assigned" {
                    model.assigned_unit_id = sea_orm::Set(Some(unit_ids[(n / 7) % UNITS]));
                }
                model
            })
            .collect();
        entities::device::Entity::insert_many(models)
            .exec_without_returning(db)
            .await
            .unwrap();
    }
    // Fresh statistics, as autovacuum (PostgreSQL) or a periodic ANALYZE would give.
    db.execute_unprepared("ANALYZE").await.unwrap();
    println!(
        "  seeded {DEVICES} devices in {UNITS} units in {:.1?}",
        started.elapsed()
    );
    units
}

async fn load(
    base: &str,
    token: &str,
    label: &str,
    paths: Arc<Vec<String>>,
    requests_per_client: usize,
) {
    let clients = env_or("STILLA_BENCH_CLIENTS", 64);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(clients)
        .build()
        .unwrap();
    // Warm up: connections, caches.
    for path in paths.iter().take(200) {
        client
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let client = client.clone();
        let base = base.to_owned();
        let token = token.to_owned();
        let paths = paths.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(requests_per_client);
            for i in 0..requests_per_client {
                let path = &paths[(c * requests_per_client + i) % paths.len()];
                let t = Instant::now();
                let response = client
                    .get(format!("{base}{path}"))
                    .bearer_auth(&token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(response.status().as_u16(), 200, "{path}");
                let body = response.bytes().await.unwrap();
                latencies.push(t.elapsed());
                assert!(body.len() > 100);
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    let elapsed = started.elapsed();
    all.sort();
    println!(
        "  {label:<44} {} requests, {:>6.0} req/s, p50 {:>6.2} ms, p95 {:>6.2} ms, p99 {:>6.2} ms, max {:>6.2} ms",
        all.len(),
        all.len() as f64 / elapsed.as_secs_f64(),
        percentile(&all, 0.50).as_secs_f64() * 1e3,
        percentile(&all, 0.95).as_secs_f64() * 1e3,
        percentile(&all, 0.99).as_secs_f64() * 1e3,
        all.last().unwrap().as_secs_f64() * 1e3,
    );
}

async fn import_run(base: &str, token: &str) {
    let mut csv = String::from(
        "kind;manufacturer;model;serial_number;imei;ownership;status;purchase_price;purchased_on\n",
    );
    for n in 0..IMPORT_ROWS {
        csv.push_str(&format!(
            "phone;Apple;iPhone 15;IMPORT-{n:06};{};organization;in_stock;4 995,00;2026-11-01\n",
            imei(5_000_000 + n as u64)
        ));
    }
    let client = reqwest::Client::new();
    let started = Instant::now();
    let response = client
        .post(format!("{base}/api/v1/import/devices"))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status.as_u16(), 200, "{body}");
    println!(
        "  import of {IMPORT_ROWS} device rows (CSV, one transaction): {:.2?}",
        started.elapsed()
    );
}

async fn run_store(label: &str, url: String) {
    println!("{label}:");
    let config = Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database: stilla::config::DatabaseConfig {
            url: SecretString::from(url),
            max_connections: 16,
        },
        ..Config::default()
    };
    let app = App::build(&config).await.unwrap();
    let token = app.bootstrapped.clone().unwrap().admin_token;
    let base = format!("http://{}", app.local_addr());
    let db = app.state().db.clone();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run(async {
        let _ = rx.await;
    }));
    let units = seed(&db, &token, &base).await;

    let status_kind: Vec<String> = ["in_stock", "assigned", "in_repair", "retired"]
        .iter()
        .flat_map(|s| {
            ["phone", "tablet"].map(|k| format!("/api/v1/devices?status={s}&kind={k}&limit=50"))
        })
        .collect();
    let requests = env_or("STILLA_BENCH_REQUESTS", 200);
    load(
        &base,
        &token,
        "status+kind filter, page of 50",
        Arc::new(status_kind),
        requests,
    )
    .await;
    let by_unit: Vec<String> = units
        .iter()
        .map(|u| format!("/api/v1/devices?unit_id={u}&limit=50"))
        .collect();
    load(
        &base,
        &token,
        "unit filter (subtree, held or owned), page 50",
        Arc::new(by_unit),
        requests,
    )
    .await;
    let search: Vec<String> = (0..100)
        .map(|n| format!("/api/v1/devices?q=SEED-{:05}&limit=50", n * 7))
        .collect();
    // A substring search reads every row (no index serves `%q%`): a few requests show its cost.
    load(
        &base,
        &token,
        "free text q (substring scan), page of 50",
        Arc::new(search),
        requests / 20,
    )
    .await;
    import_run(&base, &token).await;
    let _ = tx.send(());
    let _ = server.await;
}

fn main() {
    // `cargo bench` passes --bench; a plain `cargo test --benches` passes nothing to do.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        );
        run_store("SQLite", sqlite).await;
        if let Ok(server) = std::env::var("STILLA_BENCH_POSTGRES") {
            let name = format!("stilla_bench_{}", Uuid::now_v7().simple());
            let admin = Database::connect(&server).await.unwrap();
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .unwrap();
            let url = match server.rsplit_once('/') {
                Some((base, _)) => format!("{base}/{name}"),
                None => unreachable!("a postgres URL has a path"),
            };
            run_store("PostgreSQL", url).await;
            admin
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                .await
                .unwrap();
        }
    });
}
