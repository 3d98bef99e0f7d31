//! The console's half of the authorization matrix: every console route, for every kind of
//! caller, against the same table the API's half checks (`authorization`). A route the
//! table refuses a signed-in caller answers 403; a browser with no session is sent to
//! sign in (303); a caller the table allows gets the route's own answer.
use std::collections::HashSet;

use reqwest::multipart;
use serde_json::json;
use stilla::auth::{Access, Resource};

use crate::{
    authorization::{Answers, CALLERS, Rules, World, expected, rules_of},
    console::Browser,
    helpers::{TestApp, both_stores},
};

use Access::{Read, Write};
use Resource::*;

/// Every console route (path template under /console) and what it reads or changes;
/// `None` for the pages anyone may open (signing in, the accessibility statement, the
/// assets). A template with a fixed last segment (`/reports/contracts-expiring`) names a
/// case of a router template that reads something else.
const CONSOLE_ROUTES: &[(&str, &str, Option<Rules>)] = &[
    ("GET", "/", Some(&[])),
    ("GET", "/sign-in", None),
    ("POST", "/sign-in", None),
    ("GET", "/sign-in/start", None),
    ("GET", "/sign-in/callback", None),
    ("POST", "/sign-out", None),
    ("GET", "/language/{lang}", None),
    ("GET", "/accessibility", None),
    ("GET", "/assets/{file}", None),
    (
        "GET",
        "/search",
        Some(&[(Employees, Read), (Devices, Read), (Subscriptions, Read)]),
    ),
    ("GET", "/devices", Some(&[(Devices, Read)])),
    ("GET", "/devices/export", Some(&[(Devices, Read)])),
    ("GET", "/devices/bulk", Some(&[(Devices, Write)])),
    ("POST", "/devices/bulk", Some(&[(Devices, Write)])),
    ("GET", "/devices/{id}", Some(&[(Devices, Read)])),
    ("POST", "/devices/{id}/facts", Some(&[(Devices, Write)])),
    ("POST", "/devices/{id}/{action}", Some(&[(Devices, Write)])),
    ("GET", "/people/suggest", Some(&[(Employees, Read)])),
    ("GET", "/subscriptions", Some(&[(Subscriptions, Read)])),
    (
        "GET",
        "/subscriptions/export",
        Some(&[(Subscriptions, Read)]),
    ),
    ("GET", "/subscriptions/{id}", Some(&[(Subscriptions, Read)])),
    (
        "POST",
        "/subscriptions/{id}/{action}",
        Some(&[(Subscriptions, Write)]),
    ),
    ("GET", "/reports/{name}", Some(&[(Reports, Read)])),
    (
        "GET",
        "/reports/contracts-expiring",
        Some(&[(Contracts, Read)]),
    ),
    ("GET", "/employees", Some(&[(Employees, Read)])),
    ("POST", "/employees", Some(&[(Employees, Write)])),
    ("GET", "/employees/new", Some(&[(Employees, Write)])),
    (
        "GET",
        "/employees/{id}",
        Some(&[(Employees, Read), (Reachability, Read)]),
    ),
    ("POST", "/employees/{id}", Some(&[(Employees, Write)])),
    (
        "POST",
        "/employees/{id}/hand-out",
        Some(&[(Employees, Read), (Devices, Write)]),
    ),
    ("GET", "/units", Some(&[(Units, Read)])),
    ("POST", "/units", Some(&[(Units, Write)])),
    ("GET", "/units/new", Some(&[(Units, Write)])),
    ("GET", "/units/{id}", Some(&[(Units, Write)])),
    ("POST", "/units/{id}", Some(&[(Units, Write)])),
    ("GET", "/tokens", Some(&[(Tokens, Read)])),
    ("POST", "/tokens", Some(&[(Tokens, Write)])),
    ("POST", "/tokens/{id}/revoke", Some(&[(Tokens, Write)])),
    ("GET", "/sign-in-settings", Some(&[(SignIn, Read)])),
    (
        "POST",
        "/sign-in-settings/organisation",
        Some(&[(SignIn, Write)]),
    ),
    (
        "POST",
        "/sign-in-settings/provider",
        Some(&[(SignIn, Write)]),
    ),
    (
        "POST",
        "/sign-in-settings/directory",
        Some(&[(SignIn, Write)]),
    ),
    ("GET", "/audit", Some(&[(Audit, Read)])),
    (
        "GET",
        "/rollout",
        Some(&[
            (Reports, Read),
            (DeviceProfiles, Read),
            (RolloutRules, Read),
        ]),
    ),
    (
        "POST",
        "/rollout/profiles",
        Some(&[(DeviceProfiles, Write)]),
    ),
    ("POST", "/rollout/rules", Some(&[(RolloutRules, Write)])),
    (
        "POST",
        "/rollout/rules/{id}/delete",
        Some(&[(RolloutRules, Write)]),
    ),
    ("GET", "/working-time", Some(&[(Policy, Read)])),
    ("POST", "/working-time/policy", Some(&[(Policy, Write)])),
    ("POST", "/working-time/holidays", Some(&[(Policy, Write)])),
    (
        "POST",
        "/working-time/holidays/add",
        Some(&[(Policy, Write)]),
    ),
    (
        "POST",
        "/working-time/holidays/remove",
        Some(&[(Policy, Write)]),
    ),
    (
        "POST",
        "/working-time/shifts",
        Some(&[(Imports, Write), (Shifts, Write)]),
    ),
    (
        "GET",
        "/hours/{kind}/{id}",
        Some(&[(WorkingHours, Read), (Units, Read)]),
    ),
    ("POST", "/hours/{kind}/{id}", Some(&[(WorkingHours, Write)])),
    ("GET", "/import", Some(&[(Imports, Write)])),
    ("POST", "/import", Some(&[(Imports, Write)])),
    ("GET", "/import/template/{kind}", Some(&[(Imports, Write)])),
    ("GET", "/me", Some(&[(OwnWorkday, Read)])),
    ("POST", "/me/notices/{id}/ack", Some(&[(OwnWorkday, Write)])),
    ("POST", "/me/focus", Some(&[(OwnWorkday, Write)])),
    ("GET", "/notices", Some(&[(Notices, Read)])),
    ("GET", "/notices/new", Some(&[(Notices, Write)])),
    ("POST", "/notices/new", Some(&[(Notices, Write)])),
    ("GET", "/notices/{id}", Some(&[(Notices, Read)])),
    ("POST", "/notices/{id}/cancel", Some(&[(Notices, Write)])),
    ("GET", "/notice-templates", Some(&[(Notices, Write)])),
    ("POST", "/notice-templates", Some(&[(Notices, Write)])),
    (
        "POST",
        "/notice-templates/{id}/delete",
        Some(&[(Notices, Write)]),
    ),
];

/// The routes that need a sign-in, with their rules, for [`rules_of`].
fn guarded() -> &'static [(&'static str, &'static str, Rules)] {
    static GUARDED: std::sync::OnceLock<Vec<(&str, &str, Rules)>> = std::sync::OnceLock::new();
    GUARDED.get_or_init(|| {
        CONSOLE_ROUTES
            .iter()
            .filter_map(|(m, t, rules)| rules.map(|rules| (*m, *t, rules)))
            .collect()
    })
}

/// The console router's routes as `src/web/mod.rs` declares them: method and template.
fn declared_routes() -> HashSet<(String, String)> {
    let source = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/web/mod.rs"))
        .expect("the console's router");
    let start = source.find("let console = Router::new()").unwrap();
    let end = start + source[start..].find(".fallback(").unwrap();
    let mut routes = HashSet::new();
    for chunk in source[start..end].split(".route(").skip(1) {
        let path = chunk.split('"').nth(1).unwrap().to_owned();
        for (call, method) in [("get(", "GET"), ("post(", "POST")] {
            if chunk.contains(call) {
                routes.insert((method.to_owned(), path.clone()));
            }
        }
    }
    routes
}

/// `CONSOLE_ROUTES` names every route of the console's router, and each of its extra
/// cases fits one.
#[test]
fn every_console_route_is_in_the_matrix() {
    let declared = declared_routes();
    assert!(declared.len() > 40, "the router was read: {declared:?}");
    let listed: HashSet<(String, String)> = CONSOLE_ROUTES
        .iter()
        .map(|(m, t, _)| (m.to_string(), t.to_string()))
        .collect();
    let missing: Vec<_> = declared.difference(&listed).collect();
    assert!(missing.is_empty(), "routes not in the matrix: {missing:?}");
    for (method, template) in listed.difference(&declared) {
        assert!(
            declared
                .iter()
                .any(|(m, t)| m == method && crate::authorization::fits(t, template)),
            "{method} {template} is not a console route"
        );
    }
}

enum Form {
    /// Fields; the session's CSRF token is added first.
    Fields(Vec<(&'static str, String)>),
    /// A CSV upload of `kind` (the import page's `kind` field; `None` for the shift
    /// import's form, which has none), as a dry run.
    Upload(Option<&'static str>, String),
}

struct Call {
    path: String,
    form: Option<Form>,
    expect: Answers,
}

fn get(path: impl Into<String>, expect: Answers) -> Call {
    Call {
        path: path.into(),
        form: None,
        expect,
    }
}

fn post(path: impl Into<String>, fields: Vec<(&'static str, String)>, expect: Answers) -> Call {
    Call {
        path: path.into(),
        form: Some(Form::Fields(fields)),
        expect,
    }
}

// The answers of pages to callers the table allows: employee, another unit's manager,
// the unit's manager, another tenant's admin, the admin (0: must be refused).
const PAGE: Answers = [0, 200, 200, 200, 200];
const ADMIN_PAGE: Answers = [0, 0, 0, 200, 200];
/// An object in the managed unit: not found outside it.
const SCOPED_PAGE: Answers = [0, 404, 200, 404, 200];
const ADMIN_OBJECT_PAGE: Answers = [0, 0, 0, 404, 200];
/// A change to an object of the first tenant: done (and sent back to a page), or not
/// found in another tenant.
const CHANGE_OBJECT: Answers = [0, 0, 0, 404, 303];
const CHANGE_OWN: Answers = [0, 0, 0, 303, 303];
/// A new thing that refers to the first tenant's units or roles.
const CREATE_REFERRING: Answers = [0, 0, 0, 422, 303];
/// The caller's own working day: only a caller who speaks for an employee has one.
const MY_PAGE: Answers = [200, 404, 404, 404, 404];
const MY_CHANGE: Answers = [303, 404, 404, 404, 404];
/// Settings each admin may send for their own tenant, refused here for their content.
const REFUSED_OWN: Answers = [0, 0, 0, 422, 422];

async fn every_console_route_answers_every_caller_as_the_table_says(app: TestApp) {
    let world = World::new(&app).await;
    let (managed, ward, role, nurse) = (
        world.managed.clone(),
        world.ward.clone(),
        world.role.clone(),
        world.nurse.clone(),
    );
    // A browser signs in with a token; none and a bad one have no session.
    let tokens: Vec<Option<String>> = world
        .tokens
        .iter()
        .enumerate()
        .map(|(i, token)| (i >= 2).then(|| token.clone()))
        .collect();

    let assigned_device = |serial: &'static str| {
        let (app, nurse) = (&app, nurse.clone());
        async move {
            let id = app
                .device(serial, json!({"status": "in_stock"}))
                .await
                .expect(201)
                .id();
            app.post(
                &format!("/api/v1/devices/{id}/assign"),
                &app.admin,
                json!({"employee_id": nurse}),
            )
            .await
            .expect(200);
            id
        }
    };
    let held = assigned_device("HELD").await;
    app.device("SPARE-1", json!({})).await.expect(201);
    let to_repair = assigned_device("REPAIR-ME").await;
    let number = app
        .subscription("0701000001", json!({"status": "active"}))
        .await
        .expect(201)
        .id();
    app.post(
        &format!("/api/v1/subscriptions/{number}/assign"),
        &app.admin,
        json!({"employee_id": nurse}),
    )
    .await
    .expect(200);
    let spare_token = World::spare_token(&app).await;
    let spare_template = app
        .post(
            "/api/v1/notice-templates",
            &app.admin,
            json!({"name": "Spare", "title": "T", "body": "B", "priority": "info"}),
        )
        .await
        .expect(201)
        .id();
    let spare_rule = world.spare_rule(&app).await;
    let (admins_notice, managers_notice) = world.notices(&app).await;

    let week = || ("mon", "08:00-17:00".to_owned());
    let calls = vec![
        get("/console", [303, 303, 303, 200, 200]),
        // One hit opens it: for those who may see the device.
        get("/console/search?q=HELD", [0, 200, 303, 200, 303]),
        get("/console/people/suggest?q=ny", PAGE),
        get("/console/devices", PAGE),
        get("/console/devices/export?format=csv", PAGE),
        get("/console/devices/bulk?action=receive", ADMIN_PAGE),
        post(
            "/console/devices/bulk",
            vec![
                ("q", "NO-SUCH-DEVICE".to_owned()),
                ("action", "receive".to_owned()),
                ("expected", "0".to_owned()),
            ],
            CHANGE_OWN,
        ),
        get(format!("/console/devices/{held}"), SCOPED_PAGE),
        post(
            format!("/console/devices/{to_repair}/facts"),
            vec![
                ("manufacturer", "Apple".to_owned()),
                ("model", "iPhone 15".to_owned()),
                ("serial_number", "REPAIR-ME".to_owned()),
                ("ownership", "organization".to_owned()),
            ],
            CHANGE_OBJECT,
        ),
        post(
            format!("/console/devices/{to_repair}/send-to-repair"),
            vec![],
            CHANGE_OBJECT,
        ),
        get("/console/subscriptions", PAGE),
        get("/console/subscriptions/export?format=csv", PAGE),
        get(format!("/console/subscriptions/{number}"), SCOPED_PAGE),
        post(
            format!("/console/subscriptions/{number}/suspend"),
            vec![],
            CHANGE_OBJECT,
        ),
        get("/console/reports/utilization", PAGE),
        get("/console/reports/returns-due", PAGE),
        get("/console/reports/unused-subscriptions", PAGE),
        // The API let managers read this report and the console did not; one rule now.
        get("/console/reports/contracts-expiring", PAGE),
        get("/console/reports/after-hours", PAGE),
        get("/console/reports/schedule-gaps", PAGE),
        get("/console/employees", PAGE),
        get("/console/employees/new", ADMIN_PAGE),
        post(
            "/console/employees",
            vec![
                ("name", "Ny".to_owned()),
                ("email", "ny@region.se".to_owned()),
                ("unit_id", ward.clone()),
                ("role_id", role.clone()),
                ("employment_type", "permanent".to_owned()),
            ],
            CREATE_REFERRING,
        ),
        get(format!("/console/employees/{nurse}"), SCOPED_PAGE),
        post(
            format!("/console/employees/{nurse}/hand-out"),
            vec![("device", "SPARE-1".to_owned())],
            CHANGE_OBJECT,
        ),
        post(
            format!("/console/employees/{nurse}"),
            vec![
                ("unit_id", ward.clone()),
                ("role_id", role.clone()),
                ("employment_type", "permanent".to_owned()),
            ],
            CHANGE_OBJECT,
        ),
        get("/console/units", PAGE),
        get("/console/units/new", ADMIN_PAGE),
        post(
            "/console/units",
            vec![("name", "Ny".to_owned()), ("parent_id", managed.clone())],
            CREATE_REFERRING,
        ),
        get(format!("/console/units/{ward}"), ADMIN_OBJECT_PAGE),
        post(
            format!("/console/units/{ward}"),
            vec![
                ("name", "Avd 12 natt".to_owned()),
                ("parent_id", managed.clone()),
            ],
            CHANGE_OBJECT,
        ),
        get("/console/tokens", ADMIN_PAGE),
        post(
            "/console/tokens",
            vec![
                ("name", "t".to_owned()),
                ("role", "manager".to_owned()),
                ("unit_ids", managed.clone()),
            ],
            // The page answers the form itself: the secret is shown once, not redirected.
            [0, 0, 0, 422, 200],
        ),
        post(
            format!("/console/tokens/{spare_token}/revoke"),
            vec![],
            CHANGE_OBJECT,
        ),
        get("/console/audit", ADMIN_PAGE),
        get("/console/rollout", PAGE),
        post(
            "/console/rollout/profiles",
            vec![
                ("name", "Bas".to_owned()),
                ("device_kind", "phone".to_owned()),
                ("device_price", "5000".to_owned()),
                ("setup_cost", "0".to_owned()),
                ("monthly_subscription_cost", "100".to_owned()),
                ("monthly_support_cost", "0".to_owned()),
                ("lifetime_months", "36".to_owned()),
            ],
            CHANGE_OWN,
        ),
        post(
            "/console/rollout/rules",
            vec![("role_id", role.clone()), ("wave", "3".to_owned())],
            CREATE_REFERRING,
        ),
        post(
            format!("/console/rollout/rules/{spare_rule}/delete"),
            vec![],
            CHANGE_OBJECT,
        ),
        get("/console/sign-in-settings", ADMIN_PAGE),
        post(
            "/console/sign-in-settings/organisation",
            vec![("console_token_sign_in", "true".to_owned())],
            CHANGE_OWN,
        ),
        // Nothing answers at this issuer.
        post(
            "/console/sign-in-settings/provider",
            vec![
                ("issuer", "http://127.0.0.1:9".to_owned()),
                ("client_id", "c".to_owned()),
                ("client_secret", "s".to_owned()),
            ],
            REFUSED_OWN,
        ),
        post(
            "/console/sign-in-settings/directory",
            vec![("unit_from", "department".to_owned())],
            CHANGE_OWN,
        ),
        get("/console/working-time", ADMIN_PAGE),
        post(
            "/console/working-time/policy",
            vec![
                ("time_zone", "Europe/Stockholm".to_owned()),
                ("release_delay_minutes", "0".to_owned()),
                week(),
            ],
            CHANGE_OWN,
        ),
        post(
            "/console/working-time/holidays",
            vec![("year", "2027".to_owned())],
            CHANGE_OWN,
        ),
        post(
            "/console/working-time/holidays/add",
            vec![("date", "2026-12-28".to_owned())],
            CHANGE_OWN,
        ),
        post(
            "/console/working-time/holidays/remove",
            vec![("date", "2026-12-28".to_owned())],
            CHANGE_OWN,
        ),
        Call {
            path: "/console/working-time/shifts".to_owned(),
            form: Some(Form::Upload(
                None,
                "employee,starts_at,ends_at,kind\nnurse@region.se,2026-12-03 07:00,2026-12-03 15:00,work\n"
                    .to_owned(),
            )),
            // Another tenant has no such person: every row is refused (422).
            expect: [0, 0, 0, 422, 200],
        },
        // Managers see their units' hours; only admins change them.
        get(format!("/console/hours/units/{ward}"), SCOPED_PAGE),
        post(
            format!("/console/hours/units/{ward}"),
            vec![("time_zone", String::new()), week()],
            CHANGE_OBJECT,
        ),
        get("/console/import", ADMIN_PAGE),
        get("/console/import/template/devices", ADMIN_PAGE),
        Call {
            path: "/console/import".to_owned(),
            form: Some(Form::Upload(
                Some("subscriptions"),
                "msisdn,operator,plan,monthly_cost\n0708888888,Telia,P,1.00\n".to_owned(),
            )),
            expect: ADMIN_PAGE,
        },
        get("/console/me", MY_PAGE),
        post(
            format!("/console/me/notices/{admins_notice}/ack"),
            vec![],
            MY_CHANGE,
        ),
        post(
            "/console/me/focus",
            vec![("minutes", "30".to_owned())],
            MY_CHANGE,
        ),
        get("/console/notices", PAGE),
        get("/console/notices/new", PAGE),
        post(
            "/console/notices/new",
            vec![
                ("title", "T".to_owned()),
                ("body", "B".to_owned()),
                ("priority", "info".to_owned()),
                ("unit_ids", managed.clone()),
                ("step", "preview".to_owned()),
            ],
            // Another unit's manager, like another tenant, does not know the unit.
            [0, 422, 200, 422, 200],
        ),
        get(format!("/console/notices/{managers_notice}"), SCOPED_PAGE),
        get("/console/notice-templates", PAGE),
        post(
            "/console/notice-templates",
            vec![
                ("name", "Möte".to_owned()),
                ("title", "Möte".to_owned()),
                ("body", "Kl 14".to_owned()),
                ("priority", "info".to_owned()),
            ],
            // One name in the tenant: taken once the first of its senders made it.
            [0, 303, 409, 303, 409],
        ),
        post(
            format!("/console/notice-templates/{spare_template}/delete"),
            vec![],
            // Any of the tenant's senders may remove it: the first does.
            [0, 303, 404, 404, 404],
        ),
        post(
            format!("/console/notices/{managers_notice}/cancel"),
            vec![("confirm", "yes".to_owned())],
            [0, 404, 303, 404, 303],
        ),
    ];

    let mut browsers = Vec::new();
    for token in &tokens {
        let browser = match token {
            Some(token) => Browser::signed_in(&app, token).await,
            None => Browser::new(&app),
        };
        // The session's CSRF token, from the page the caller starts on.
        let csrf = match token {
            Some(_) => {
                let start = browser.get("/console").await;
                let page = match start.location {
                    Some(to) => browser.get(&to).await,
                    None => start,
                };
                page.csrf()
            }
            None => "no-session".to_owned(),
        };
        browsers.push((browser, csrf));
    }

    let mut failures = Vec::new();
    let mut walked = HashSet::new();
    for call in &calls {
        let method = if call.form.is_some() { "POST" } else { "GET" };
        let http_method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let Some((template, rules)) = rules_of(guarded(), "/console", &http_method, &call.path)
        else {
            failures.push(format!("{method} {} is not in CONSOLE_ROUTES", call.path));
            continue;
        };
        walked.insert((method, template));
        for (i, caller) in CALLERS.iter().enumerate() {
            let expect = match expected(rules, &call.expect, caller, 303) {
                Ok(status) => status,
                Err(why) => {
                    failures.push(format!("{method} {}: {why}", call.path));
                    continue;
                }
            };
            let (browser, csrf) = &browsers[i];
            let page = match &call.form {
                None => browser.get(&call.path).await,
                Some(Form::Fields(fields)) => {
                    let mut form = vec![("csrf", csrf.as_str())];
                    form.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
                    browser.post(&call.path, &form).await
                }
                Some(Form::Upload(kind, csv)) => {
                    let mut form = multipart::Form::new().text("csrf", csrf.clone());
                    if let Some(kind) = kind {
                        form = form.text("kind", *kind);
                    }
                    let form = form.text("dry_run", "true").part(
                        "file",
                        multipart::Part::bytes(csv.as_bytes().to_vec())
                            .file_name("rows.csv")
                            .mime_str("text/csv")
                            .unwrap(),
                    );
                    browser.post_multipart(&call.path, form).await
                }
            };
            let status = page.status.as_u16();
            assert!(
                status < 500,
                "{method} {} as {caller}: {status} {}",
                call.path,
                page.html
            );
            if status != expect {
                let text: String = page.html.chars().take(300).collect();
                failures.push(format!(
                    "{method} {} as {caller}: {status}, expected {expect} ({text})",
                    call.path
                ));
            }
            if status == 303 && role_is_none(caller) {
                let to = page.location.as_deref().unwrap_or_default();
                if !to.starts_with("/console/sign-in") {
                    failures.push(format!(
                        "{method} {} as {caller}: sent to {to}, not to sign in",
                        call.path
                    ));
                }
            }
        }
    }
    for (method, template, rules) in CONSOLE_ROUTES {
        if rules.is_some() && !walked.contains(&(*method, *template)) {
            failures.push(format!("{method} {template}: no call walks it"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn role_is_none(caller: &str) -> bool {
    crate::authorization::role_of(caller).is_none()
}

both_stores!(
    every_console_route_answers_every_caller_as_the_table_says,
    |config| {
        // Six browsers sign in from one address; the matrix is not what is limited.
        config.limits.failed_auth_per_minute = 100_000;
    }
);
