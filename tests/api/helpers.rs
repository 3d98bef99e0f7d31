//! Spawning the real app on port 0 against a fresh database, and calling it.
use std::sync::{Arc, Once};

use reqwest::{Method, StatusCode};
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use secrecy::SecretString;
use serde_json::{Value, json};
use stilla::{
    app::App,
    clock::Clock,
    config::Config,
    delivery::{DeliveryConfig, Dispatcher},
    push::{Provider, Providers, Push, PushOutcome},
    tenants,
};
use uuid::Uuid;

/// Runs one async test body against SQLite, and again against PostgreSQL when
/// `STILLA_TEST_POSTGRES` names a server (each run with a database of its own).
/// `both_stores!(name, configure)` first passes the test's `Config` through
/// `configure: fn(&mut Config)`.
macro_rules! both_stores {
    ($name:ident) => {
        $crate::helpers::both_stores!($name, |_| {});
    };
    ($name:ident, $configure:expr) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::sqlite_with($configure).await;
                super::$name(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(app) = $crate::helpers::TestApp::postgres_with($configure).await else {
                    eprintln!("skipped: set STILLA_TEST_POSTGRES to run against PostgreSQL");
                    return;
                };
                super::$name(app).await;
            }
        }
    };
}
pub(crate) use both_stores;

fn init_logs() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            tracing_subscriber::fmt()
                .with_env_filter("debug")
                .with_test_writer()
                .init();
        }
    });
}

/// A PostgreSQL database made for one test and dropped after it.
struct PgDatabase {
    server_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let server_url = self.server_url.clone();
        let name = self.name.clone();
        // Drop runs outside async; a thread with its own runtime keeps it simple.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(db) = Database::connect(&server_url).await {
                    let _ = db
                        .execute_unprepared(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .await;
                }
            });
        })
        .join();
    }
}

/// The address of a database named `name` on the server `server_url` points at.
fn with_database(server_url: &str, name: &str) -> String {
    let (base, query) = match server_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (server_url, None),
    };
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_end..].find('/') {
        Some(slash) => &base[..authority_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{name}?{q}"),
        None => format!("{base}/{name}"),
    }
}

/// The secrets key every test app seals with (32 bytes, base64).
pub const TEST_SECRETS_KEY: &str = "c3RpbGxhLXRlc3Qtc2VjcmV0cy1rZXktMzItYnl0ZXM=";

/// A box that opens what the test apps seal.
pub fn test_secrets() -> stilla::secrets::SecretBox {
    stilla::secrets::SecretBox::new(stilla::secrets::KeySource::Inline(SecretString::from(
        TEST_SECRETS_KEY,
    )))
}

/// A stand-in push provider: records every push and answers from a script (then
/// `Sent`). It sits in the `apns` and `log` slots; `fcm` tests use a real client
/// against a stand-in server.
#[derive(Default)]
pub struct Recorder {
    pub pushes: std::sync::Mutex<Vec<Push>>,
    pub script: std::sync::Mutex<std::collections::VecDeque<PushOutcome>>,
}

impl Recorder {
    pub fn pushes(&self) -> Vec<Push> {
        self.pushes.lock().unwrap().clone()
    }

    pub fn answer_next(&self, outcome: PushOutcome) {
        self.script.lock().unwrap().push_back(outcome);
    }
}

pub struct Recording(pub Arc<Recorder>);

#[async_trait::async_trait]
impl Provider for Recording {
    async fn send(&self, push: &Push) -> PushOutcome {
        self.0.pushes.lock().unwrap().push(push.clone());
        self.0
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(PushOutcome::Sent)
    }
}

/// The system clock moved by `offset`: "what the dispatcher does in ten minutes".
#[derive(Debug)]
pub struct Later(pub chrono::Duration);

impl Clock for Later {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        chrono::Utc::now() + self.0
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    /// The Default tenant's admin token.
    pub admin: String,
    pub db: DatabaseConnection,
    pub recorder: Arc<Recorder>,
    /// The app's providers: its dispatchers share them, and their health, with it.
    pub providers: Providers,
    /// What the app's cancels and acknowledgements tell its dispatchers.
    pub stops: stilla::delivery::Stops,
    /// The app's database, for a second process's connections.
    pub database_url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    /// Held for their drop: the folder of the SQLite file, the PostgreSQL database.
    #[allow(dead_code)]
    sqlite_dir: Option<tempfile::TempDir>,
    #[allow(dead_code)]
    pg_database: Option<PgDatabase>,
}

/// An answer: status and body (JSON when it is JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub content_type: String,
    pub text: String,
    pub json: Value,
}

impl Answer {
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected answer: {}",
            self.text
        );
        self
    }

    /// The `field`s named in a problem's `errors`.
    pub fn error_fields(&self) -> Vec<String> {
        self.json["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// An import problem's errors as `line:field` (`3:imei`), in the order given.
    pub fn line_errors(&self) -> Vec<String> {
        self.json["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| format!("{}:{}", e["line"], e["field"].as_str().unwrap_or("")))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn id(&self) -> String {
        self.json["id"].as_str().expect("an id").to_owned()
    }
}

impl TestApp {
    pub async fn sqlite() -> TestApp {
        Self::sqlite_with(|_| {}).await
    }

    pub async fn sqlite_with(configure: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let url = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("stilla.db").display()
        );
        let mut app = Self::spawn(url, configure).await;
        app.sqlite_dir = Some(dir);
        app
    }

    pub async fn postgres_with(configure: impl FnOnce(&mut Config)) -> Option<TestApp> {
        let server_url = std::env::var("STILLA_TEST_POSTGRES")
            .ok()
            .filter(|s| !s.is_empty())?;
        let name = format!("stilla_test_{}", Uuid::now_v7().simple());
        let server = Database::connect(&server_url)
            .await
            .expect("STILLA_TEST_POSTGRES answers");
        server
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await
            .unwrap();
        server.close().await.unwrap();
        let guard = PgDatabase {
            server_url: server_url.clone(),
            name: name.clone(),
        };
        let mut app = Self::spawn(with_database(&server_url, &name), configure).await;
        app.pg_database = Some(guard);
        Some(app)
    }

    async fn spawn(database_url: String, configure: impl FnOnce(&mut Config)) -> TestApp {
        init_logs();
        let mut config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            ..Config::default()
        };
        config.database.url = SecretString::from(database_url.clone());
        config.database.max_connections = 5;
        // Never a key file in the working tree: a fixed test key.
        config.secrets.key = Some(SecretString::from(TEST_SECRETS_KEY));
        // Tests dispatch explicitly (`TestApp::dispatch`), with a clock of their choice.
        config.delivery.enabled = false;
        configure(&mut config);
        let recorder = Arc::new(Recorder::default());
        let providers = providers(&recorder);
        let app = App::build_with(&config, providers.clone())
            .await
            .expect("the app builds");
        let bootstrapped = app
            .bootstrapped
            .clone()
            .expect("a fresh database gets the Default tenant");
        let base = format!("http://{}", app.local_addr());
        let db = app.state().db.clone();
        let stops = app.state().stops.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(app.run(async {
            let _ = rx.await;
        }));
        TestApp {
            base,
            client: reqwest::Client::new(),
            admin: bootstrapped.admin_token,
            db,
            recorder,
            providers,
            stops,
            database_url,
            shutdown: Some(tx),
            sqlite_dir: None,
            pg_database: None,
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        let mut request = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        Self::answer(request.send().await.expect("the app answers")).await
    }

    async fn answer(response: reqwest::Response) -> Answer {
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let text = response.text().await.unwrap();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Answer {
            status,
            content_type,
            text,
            json,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Answer {
        self.call(Method::PATCH, path, Some(token), Some(body))
            .await
    }

    pub async fn post_csv(&self, path: &str, token: &str, body: impl Into<Vec<u8>>) -> Answer {
        let request = self
            .client
            .post(format!("{}{}", self.base, path))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(body.into());
        Self::answer(request.send().await.unwrap()).await
    }

    /// A dispatcher on this app's database whose clock runs `ahead`.
    pub fn dispatcher(&self, ahead: chrono::Duration, config: DeliveryConfig) -> Dispatcher {
        Dispatcher::new(
            self.db.clone(),
            self.providers.clone(),
            Arc::new(Later(ahead)),
            config,
        )
        .stopped_by(self.stops.clone())
    }

    /// Dispatches everything due `ahead` from now; returns the rows handled.
    pub async fn dispatch_at(&self, ahead: chrono::Duration) -> usize {
        let dispatcher = self.dispatcher(ahead, DeliveryConfig::default());
        let mut handled = 0;
        loop {
            let n = dispatcher.tick().await.expect("dispatching works");
            if n == 0 {
                return handled;
            }
            handled += n;
        }
    }

    pub async fn dispatch(&self) -> usize {
        self.dispatch_at(chrono::Duration::zero()).await
    }

    // ---- fixtures -------------------------------------------------------------------

    pub async fn unit(&self, name: &str, parent: Option<&str>) -> String {
        self.post(
            "/api/v1/units",
            &self.admin,
            json!({"name": name, "parent_id": parent}),
        )
        .await
        .expect(201)
        .id()
    }

    pub async fn role(&self, name: &str) -> String {
        self.post("/api/v1/roles", &self.admin, json!({"name": name}))
            .await
            .expect(201)
            .id()
    }

    pub async fn employee(&self, email: &str, unit: &str, role: &str) -> String {
        self.post(
            "/api/v1/employees",
            &self.admin,
            json!({"name": email, "email": email, "unit_id": unit, "role_id": role, "employment_type": "permanent"}),
        )
        .await
        .expect(201)
        .id()
    }

    pub async fn device(&self, serial: &str, extra: Value) -> Answer {
        let mut body = json!({"kind": "phone", "manufacturer": "Apple", "model": "iPhone 15",
            "serial_number": serial, "ownership": "organization"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.post("/api/v1/devices", &self.admin, body).await
    }

    /// A device as the API shows it now.
    pub async fn device_json(&self, id: &str) -> Value {
        self.get(&format!("/api/v1/devices/{id}"), &self.admin)
            .await
            .expect(200)
            .json
    }

    pub async fn subscription(&self, msisdn: &str, extra: Value) -> Answer {
        let mut body = json!({"msisdn": msisdn, "operator": "Telia", "plan": "Jobbmobil 10 GB", "monthly_cost": "149.00"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        self.post("/api/v1/subscriptions", &self.admin, body).await
    }

    pub async fn token(&self, body: Value) -> String {
        self.post("/api/v1/tokens", &self.admin, body)
            .await
            .expect(201)
            .json["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Another tenant and its admin token.
    pub async fn other_tenant(&self) -> (Uuid, String) {
        let created = tenants::bootstrap_tenant(&self.db, "Other region")
            .await
            .unwrap();
        (created.tenant_id, created.admin_token)
    }

    /// `n` people in `unit` with `role` of `tenant` (the Default tenant when `None`),
    /// each with one phone of `provider`, written straight to the database: for tests
    /// that need a crowd. Returns their ids.
    pub async fn people_with_phones(
        &self,
        tenant: Option<Uuid>,
        unit: &str,
        role: &str,
        n: usize,
        provider: entities::vocab::PushProvider,
    ) -> Vec<Uuid> {
        use entities::{
            employee, push_registration,
            vocab::{EmploymentType, ScheduleMode},
        };
        use sea_orm::{ActiveValue::Set, EntityTrait};
        let tenant_id = match tenant {
            Some(id) => id,
            None => {
                entities::tenant::Entity::find()
                    .one(&self.db)
                    .await
                    .unwrap()
                    .unwrap()
                    .id
            }
        };
        let (unit, role): (Uuid, Uuid) = (unit.parse().unwrap(), role.parse().unwrap());
        let now = chrono::Utc::now();
        let ids: Vec<Uuid> = (0..n).map(|_| Uuid::now_v7()).collect();
        for chunk in ids.chunks(1_000) {
            let people = chunk.iter().map(|id| employee::ActiveModel {
                id: Set(*id),
                tenant_id: Set(tenant_id),
                name: Set(format!("Person {id}")),
                email: Set(format!("{id}@region.se")),
                unit_id: Set(unit),
                role_id: Set(role),
                employment_type: Set(EmploymentType::Permanent),
                employment_ends_on: Set(None),
                external_id: Set(None),
                working_hours: Set(None),
                time_zone: Set(None),
                schedule_mode: Set(ScheduleMode::Weekly),
                focus_until: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
            employee::Entity::insert_many(people)
                .exec_without_returning(&self.db)
                .await
                .unwrap();
            let phones = chunk.iter().map(|id| push_registration::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tenant_id),
                employee_id: Set(*id),
                provider: Set(provider),
                token: Set(format!("token-{id}")),
                platform: Set(None),
                device_id: Set(None),
                app_id: Set(None),
                urgent_off_hours: Set(false),
                created_at: Set(now),
                last_seen_at: Set(now),
                disabled_at: Set(None),
                disabled_reason: Set(None),
            });
            push_registration::Entity::insert_many(phones)
                .exec_without_returning(&self.db)
                .await
                .unwrap();
        }
        ids
    }

    /// How many rows a table holds (to prove a refused request wrote nothing).
    pub async fn count(&self, table: &str) -> i64 {
        let row = self
            .db
            .query_one_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap();
        row.try_get::<i64>("", "n").unwrap()
    }

    /// Every value of a text column, as stored (to prove what is kept at rest).
    pub async fn column_values(&self, table: &str, column: &str) -> Vec<String> {
        self.db
            .query_all_raw(sea_orm::Statement::from_string(
                self.db.get_database_backend(),
                format!("SELECT {column} AS v FROM {table}"),
            ))
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get::<String>("", "v").unwrap())
            .collect()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

fn providers(recorder: &Arc<Recorder>) -> Providers {
    Providers {
        apns: Some(Arc::new(Recording(recorder.clone()))),
        fcm: None,
        log: Arc::new(Recording(recorder.clone())),
        ..Providers::default()
    }
}

/// A valid IMEI: 14 digits from `n` and the Luhn check digit.
pub fn imei(n: u64) -> String {
    with_luhn(&format!("35{n:012}"))
}

/// A valid ICCID: 19 digits with the Luhn check digit.
pub fn iccid(n: u64) -> String {
    with_luhn(&format!("894620{n:012}"))
}

/// A Swedish mobile number in national form.
pub fn mobile(n: u64) -> String {
    format!("070{n:07}")
}

pub fn with_luhn(body: &str) -> String {
    format!(
        "{body}{}",
        stilla::inventory::identifiers::luhn_check_digit(body)
    )
}

/// An APNs device token (64 hex digits, as an iPhone reports it) made from `seed`: the
/// same seed, the same phone.
pub fn apns_token(seed: &str) -> String {
    format!(
        "{:064x}",
        Uuid::new_v5(&Uuid::NAMESPACE_OID, seed.as_bytes()).as_u128()
    )
}
