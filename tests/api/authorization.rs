//! Who may call what: every API route and every console route, for every kind of caller,
//! checked against the one table that says which roles may read or change what
//! (`stilla::auth::RULES`). Each route here names the resources it reads or changes
//! (`API_ROUTES`, `CONSOLE_ROUTES`, compared with the OpenAPI document and the console's
//! router so none is left out); a caller the table refuses must get 403, and a caller it
//! allows the answer the route gives them (found, not in their units, another tenant's).
use reqwest::Method;
use serde_json::{Value, json};
use stilla::auth::{Access, AccessRole, Resource, roles_for};

use crate::helpers::{TestApp, both_stores, imei};

/// The callers, in the order they call each route (admin last: it changes things).
pub const CALLERS: [&str; 7] = [
    "none",
    "bad",
    "employee",
    "manager_other",
    "manager",
    "other_admin",
    "admin",
];

/// The role of each caller that has one (`none` and `bad` are not signed in).
pub fn role_of(caller: &str) -> Option<AccessRole> {
    match caller {
        "employee" => Some(AccessRole::Employee),
        "manager_other" | "manager" => Some(AccessRole::Manager),
        "other_admin" | "admin" => Some(AccessRole::Admin),
        _ => None,
    }
}

/// What a route answers each caller the table allows, in the order employee,
/// another unit's manager, the unit's manager, another tenant's admin, the admin.
/// 0: the table must refuse this caller (no answer is defined for them).
pub type Answers = [u16; 5];

pub type Rules = &'static [(Resource, Access)];

use Access::{Read, Write};
use Resource::*;

/// Every API operation (path template under /api/v1) and what it reads or changes; the
/// caller needs every rule's role.
const API_ROUTES: &[(&str, &str, Rules)] = &[
    ("GET", "/units", &[(Units, Read)]),
    ("POST", "/units", &[(Units, Write)]),
    ("GET", "/units/{id}", &[(Units, Read)]),
    ("PATCH", "/units/{id}", &[(Units, Write)]),
    ("GET", "/roles", &[(Roles, Read)]),
    ("POST", "/roles", &[(Roles, Write)]),
    ("GET", "/employees", &[(Employees, Read)]),
    ("POST", "/employees", &[(Employees, Write)]),
    ("GET", "/employees/{id}", &[(Employees, Read)]),
    ("PATCH", "/employees/{id}", &[(Employees, Write)]),
    ("GET", "/devices", &[(Devices, Read)]),
    ("POST", "/devices", &[(Devices, Write)]),
    ("GET", "/devices/{id}", &[(Devices, Read)]),
    ("PATCH", "/devices/{id}", &[(Devices, Write)]),
    ("GET", "/devices/{id}/history", &[(Devices, Read)]),
    ("POST", "/devices/{id}/receive", &[(Devices, Write)]),
    ("POST", "/devices/{id}/assign", &[(Devices, Write)]),
    ("POST", "/devices/{id}/unassign", &[(Devices, Write)]),
    ("POST", "/devices/{id}/send-to-repair", &[(Devices, Write)]),
    (
        "POST",
        "/devices/{id}/return-from-repair",
        &[(Devices, Write)],
    ),
    ("POST", "/devices/{id}/retire", &[(Devices, Write)]),
    ("GET", "/subscriptions", &[(Subscriptions, Read)]),
    ("POST", "/subscriptions", &[(Subscriptions, Write)]),
    ("GET", "/subscriptions/{id}", &[(Subscriptions, Read)]),
    ("PATCH", "/subscriptions/{id}", &[(Subscriptions, Write)]),
    (
        "GET",
        "/subscriptions/{id}/history",
        &[(Subscriptions, Read)],
    ),
    (
        "POST",
        "/subscriptions/{id}/activate",
        &[(Subscriptions, Write)],
    ),
    (
        "POST",
        "/subscriptions/{id}/suspend",
        &[(Subscriptions, Write)],
    ),
    (
        "POST",
        "/subscriptions/{id}/resume",
        &[(Subscriptions, Write)],
    ),
    (
        "POST",
        "/subscriptions/{id}/terminate",
        &[(Subscriptions, Write)],
    ),
    (
        "POST",
        "/subscriptions/{id}/assign",
        &[(Subscriptions, Write)],
    ),
    ("GET", "/tokens", &[(Tokens, Read)]),
    ("POST", "/tokens", &[(Tokens, Write)]),
    ("DELETE", "/tokens/{id}", &[(Tokens, Write)]),
    ("GET", "/tenant", &[(SignIn, Read)]),
    ("PATCH", "/tenant", &[(SignIn, Write)]),
    ("GET", "/identity-provider", &[(SignIn, Read)]),
    ("PUT", "/identity-provider", &[(SignIn, Write)]),
    ("DELETE", "/identity-provider", &[(SignIn, Write)]),
    ("GET", "/directory/settings", &[(SignIn, Read)]),
    ("PUT", "/directory/settings", &[(SignIn, Write)]),
    ("GET", "/directory/problems", &[(SignIn, Read)]),
    ("GET", "/push-apps", &[(PushApps, Read)]),
    ("GET", "/push-apps/{app_id}", &[(PushApps, Read)]),
    ("PUT", "/push-apps/{app_id}", &[(PushApps, Write)]),
    ("DELETE", "/push-apps/{app_id}", &[(PushApps, Write)]),
    ("GET", "/audit", &[(Audit, Read)]),
    (
        "POST",
        "/import/devices",
        &[(Imports, Write), (Devices, Write)],
    ),
    (
        "POST",
        "/import/employees",
        &[(Imports, Write), (Employees, Write)],
    ),
    (
        "POST",
        "/import/subscriptions",
        &[(Imports, Write), (Subscriptions, Write)],
    ),
    (
        "POST",
        "/import/shifts",
        &[(Imports, Write), (Shifts, Write)],
    ),
    ("GET", "/policy", &[(Policy, Read)]),
    ("PUT", "/policy", &[(Policy, Write)]),
    ("POST", "/policy/holidays/swedish", &[(Policy, Write)]),
    ("PUT", "/units/{id}/working-hours", &[(WorkingHours, Write)]),
    (
        "DELETE",
        "/units/{id}/working-hours",
        &[(WorkingHours, Write)],
    ),
    (
        "PUT",
        "/employees/{id}/working-hours",
        &[(WorkingHours, Write)],
    ),
    (
        "DELETE",
        "/employees/{id}/working-hours",
        &[(WorkingHours, Write)],
    ),
    ("GET", "/employees/{id}/shifts", &[(Shifts, Read)]),
    ("POST", "/employees/{id}/shifts", &[(Shifts, Write)]),
    ("DELETE", "/shifts/{id}", &[(Shifts, Write)]),
    ("GET", "/employees/{id}/absences", &[(Absences, Read)]),
    ("POST", "/employees/{id}/absences", &[(Absences, Write)]),
    ("DELETE", "/absences/{id}", &[(Absences, Write)]),
    (
        "GET",
        "/employees/{id}/reachability",
        &[(Reachability, Read)],
    ),
    ("POST", "/notices/preview", &[(Notices, Write)]),
    ("POST", "/notices", &[(Notices, Write)]),
    ("GET", "/notices", &[(Notices, Read)]),
    ("GET", "/notices/{id}", &[(Notices, Read)]),
    ("DELETE", "/notices/{id}", &[(Notices, Write)]),
    ("GET", "/notices/{id}/deliveries", &[(Notices, Read)]),
    ("POST", "/notice-templates", &[(Notices, Write)]),
    ("GET", "/notice-templates", &[(Notices, Read)]),
    ("GET", "/notice-templates/{id}", &[(Notices, Read)]),
    ("DELETE", "/notice-templates/{id}", &[(Notices, Write)]),
    ("GET", "/device-profiles", &[(DeviceProfiles, Read)]),
    ("POST", "/device-profiles", &[(DeviceProfiles, Write)]),
    ("GET", "/device-profiles/{id}", &[(DeviceProfiles, Read)]),
    ("PATCH", "/device-profiles/{id}", &[(DeviceProfiles, Write)]),
    (
        "DELETE",
        "/device-profiles/{id}",
        &[(DeviceProfiles, Write)],
    ),
    ("GET", "/rollout-rules", &[(RolloutRules, Read)]),
    ("POST", "/rollout-rules", &[(RolloutRules, Write)]),
    ("PATCH", "/rollout-rules/{id}", &[(RolloutRules, Write)]),
    ("DELETE", "/rollout-rules/{id}", &[(RolloutRules, Write)]),
    ("GET", "/contracts", &[(Contracts, Read)]),
    ("POST", "/contracts", &[(Contracts, Write)]),
    ("GET", "/contracts/{id}", &[(Contracts, Read)]),
    ("PATCH", "/contracts/{id}", &[(Contracts, Write)]),
    ("DELETE", "/contracts/{id}", &[(Contracts, Write)]),
    ("GET", "/reports/rollout", &[(Reports, Read)]),
    ("GET", "/reports/rollout/compare", &[(Reports, Read)]),
    ("GET", "/reports/utilization", &[(Reports, Read)]),
    ("GET", "/reports/unused-subscriptions", &[(Reports, Read)]),
    ("GET", "/reports/returns-due", &[(Reports, Read)]),
    ("GET", "/reports/contracts-expiring", &[(Contracts, Read)]),
    ("GET", "/reports/after-hours", &[(Reports, Read)]),
    ("GET", "/reports/schedule-gaps", &[(Reports, Read)]),
    ("GET", "/me", &[(OwnWorkday, Read)]),
    ("GET", "/me/devices", &[(OwnWorkday, Read)]),
    ("GET", "/me/subscriptions", &[(OwnWorkday, Read)]),
    ("GET", "/me/reachability", &[(OwnWorkday, Read)]),
    ("PUT", "/me/focus", &[(OwnWorkday, Write)]),
    ("DELETE", "/me/focus", &[(OwnWorkday, Write)]),
    ("GET", "/me/notices", &[(OwnWorkday, Read)]),
    ("POST", "/me/notices/{id}/ack", &[(OwnWorkday, Write)]),
    ("GET", "/me/push-registrations", &[(OwnWorkday, Read)]),
    ("POST", "/me/push-registrations", &[(OwnWorkday, Write)]),
    (
        "DELETE",
        "/me/push-registrations/{id}",
        &[(OwnWorkday, Write)],
    ),
];

/// Whether `path` (no query) fits `template`, whose `{…}` segments match any one segment.
pub fn fits(template: &str, path: &str) -> bool {
    let (t, p): (Vec<_>, Vec<_>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && t.ends_with('}')))
}

/// The template and rules of a concrete call in `table`, `prefix` cut off its path.
pub fn rules_of(
    table: &'static [(&'static str, &'static str, Rules)],
    prefix: &str,
    method: &Method,
    path: &str,
) -> Option<(&'static str, Rules)> {
    let path = path.split('?').next().unwrap().strip_prefix(prefix)?;
    let path = if path.is_empty() { "/" } else { path };
    table
        .iter()
        .filter(|(m, _, _)| *m == method.as_str())
        // A fixed segment wins over a `{…}` one (`/notices/preview` before `/notices/{id}`).
        .filter(|(_, t, _)| fits(t, path))
        .min_by_key(|(_, t, _)| t.matches('{').count())
        .map(|(_, t, rules)| (*t, *rules))
}

/// Whether the table lets `role` do everything `rules` name.
fn allowed(rules: Rules, role: AccessRole) -> bool {
    rules
        .iter()
        .all(|(resource, access)| roles_for(*resource, *access).contains(&role))
}

/// What a caller must get: refused without a sign-in (`unsigned`), 403 where the table
/// refuses them, else the route's answer for them — an error if the route names none.
pub fn expected(
    rules: Rules,
    answers: &Answers,
    caller: &str,
    unsigned: u16,
) -> Result<u16, String> {
    let Some(role) = role_of(caller) else {
        return Ok(unsigned);
    };
    if !allowed(rules, role) {
        return Ok(403);
    }
    let i = CALLERS.iter().position(|c| *c == caller).unwrap() - 2;
    match answers[i] {
        0 => Err(format!(
            "the table allows {caller}, but the route names no answer for them"
        )),
        status => Ok(status),
    }
}

#[derive(Clone)]
enum Body {
    None,
    Json(Value),
    Csv(String),
}

struct Route {
    method: Method,
    path: String,
    body: Body,
    /// The answer to each caller the table allows.
    expect: Answers,
    /// An id that must appear in the answers of these callers, and in no other's.
    reveals: Option<(String, &'static [&'static str])>,
}

// Expected statuses by the kind of route, in CALLERS order.
/// Who sees an object in the managed unit: its manager and the tenant's admin.
const SCOPED_VIEWERS: &[&str] = &["manager", "admin"];
const READ_SCOPED: Answers = [0, 404, 200, 404, 200];
const LIST_SCOPED: Answers = [0, 200, 200, 200, 200];
const ADMIN_LIST: Answers = [0, 0, 0, 200, 200];
const WRITE_OBJECT: Answers = [0, 0, 0, 404, 200];
const CREATE_OWN: Answers = [0, 0, 0, 201, 201];
/// A create whose body refers to the first tenant's units: another tenant's admin
/// gets 422, never a row tied to someone else's unit.
const CREATE_REFERRING: Answers = [0, 0, 0, 422, 201];
const IMPORT_OWN: Answers = [0, 0, 0, 200, 200];
const IMPORT_REFERRING: Answers = [0, 0, 0, 422, 200];
const ME: Answers = [200, 404, 404, 404, 404];
const REVOKE: Answers = [0, 0, 0, 404, 204];
/// Notices to the managed unit: its manager and the admin; to another unit's manager,
/// as to another tenant, the unit is unknown (which ids exist elsewhere is not told).
const PREVIEW_SCOPED: Answers = [0, 422, 200, 422, 200];
const SEND_SCOPED: Answers = [0, 422, 201, 422, 201];
/// A notice the admin sent: the admin's alone to follow.
const ADMINS_NOTICE: Answers = [0, 404, 404, 404, 200];
/// Tenant-wide planning objects: any admin or manager of the tenant reads them.
const TENANT_READ: Answers = [0, 200, 200, 404, 200];
const ME_CREATE: Answers = [201, 404, 404, 404, 404];
const ME_DELETE: Answers = [204, 404, 404, 404, 404];
/// Each admin reads and changes their own tenant's settings.
const OWN_TENANT: Answers = [0, 0, 0, 200, 200];
/// Settings no tenant has made yet.
const NOT_SET_UP: Answers = [0, 0, 0, 404, 404];
const REFUSED_INPUT: Answers = [0, 0, 0, 422, 422];
/// A change that refers to the first tenant's units: another tenant's admin gets 422.
const CREATE_REFERRING_OK: Answers = [0, 0, 0, 422, 200];

fn route(method: Method, path: impl Into<String>, body: Body, expect: Answers) -> Route {
    Route {
        method,
        path: path.into(),
        body,
        expect,
        reveals: None,
    }
}

/// What both matrices call about: a managed unit with a ward below it and a nurse in
/// the ward, a unit elsewhere with its own person, and one token per caller (in
/// [`CALLERS`] order; empty for none, a made-up secret for bad).
pub struct World {
    pub managed: String,
    pub ward: String,
    pub elsewhere: String,
    pub role: String,
    pub nurse: String,
    pub tokens: Vec<String>,
}

impl World {
    pub async fn new(app: &TestApp) -> World {
        let managed = app.unit("Avd 12", None).await;
        let ward = app.unit("Avd 12 natt", Some(&managed)).await;
        let elsewhere = app.unit("Akuten", None).await;
        let role = app.role("Sjuksköterska").await;
        let nurse = app.employee("nurse@region.se", &ward, &role).await;
        app.employee("other@region.se", &elsewhere, &role).await;
        let tokens = vec![
            String::new(),
            "stl_not-a-real-token".to_owned(),
            app.token(json!({"name": "nurse", "role": "employee", "employee_id": nurse}))
                .await,
            app.token(json!({"name": "other manager", "role": "manager", "unit_ids": [elsewhere]}))
                .await,
            app.token(json!({"name": "manager", "role": "manager", "unit_ids": [managed]}))
                .await,
            app.other_tenant().await.1,
            app.admin.clone(),
        ];
        World {
            managed,
            ward,
            elsewhere,
            role,
            nurse,
            tokens,
        }
    }

    /// The manager of the managed unit's token.
    pub fn manager(&self) -> &str {
        &self.tokens[4]
    }

    /// A spare admin token, to be revoked.
    pub async fn spare_token(app: &TestApp) -> String {
        app.post(
            "/api/v1/tokens",
            &app.admin,
            json!({"name": "spare", "role": "admin"}),
        )
        .await
        .expect(201)
        .id()
    }

    /// A spare roll-out rule for the unit elsewhere, to be deleted.
    pub async fn spare_rule(&self, app: &TestApp) -> String {
        app.post(
            "/api/v1/rollout-rules",
            &app.admin,
            json!({"role_id": self.role, "unit_id": self.elsewhere, "wave": 2}),
        )
        .await
        .expect(201)
        .id()
    }

    /// An info notice to the managed unit.
    pub fn notice(&self) -> Value {
        json!({"title": "T", "body": "B", "priority": "info",
            "audience": {"unit_ids": [self.managed]}})
    }

    /// The notice sent with `token`: (the admin's, the manager's).
    pub async fn notices(&self, app: &TestApp) -> (String, String) {
        let mut sent = Vec::new();
        for token in [app.admin.as_str(), self.manager()] {
            sent.push(
                app.post("/api/v1/notices", token, self.notice())
                    .await
                    .expect(201)
                    .id(),
            );
        }
        (sent[0].clone(), sent[1].clone())
    }
}

async fn every_route_answers_every_caller_as_expected(app: TestApp) {
    let world = World::new(&app).await;
    let tokens = &world.tokens;
    let (managed, ward, role, nurse) = (
        world.managed.clone(),
        world.ward.clone(),
        world.role.clone(),
        world.nurse.clone(),
    );

    // Objects inside the managed unit's subtree.
    let device_in = |status: &'static str, serial: String| {
        let app = &app;
        let nurse = nurse.clone();
        async move {
            let initial = if status == "ordered" {
                "ordered"
            } else {
                "in_stock"
            };
            let id = app
                .device(&serial, json!({"status": initial}))
                .await
                .expect(201)
                .id();
            match status {
                "assigned" => {
                    app.post(
                        &format!("/api/v1/devices/{id}/assign"),
                        &app.admin,
                        json!({"employee_id": nurse}),
                    )
                    .await
                    .expect(200);
                }
                "in_repair" => {
                    app.post(
                        &format!("/api/v1/devices/{id}/send-to-repair"),
                        &app.admin,
                        json!({}),
                    )
                    .await
                    .expect(200);
                }
                _ => {}
            }
            id
        }
    };
    let held = device_in("assigned", "HELD".into()).await;
    let subscription_in = |status: &'static str, number: &'static str| {
        let app = &app;
        let nurse = nurse.clone();
        async move {
            let initial = if status == "ordered" {
                "ordered"
            } else {
                "active"
            };
            let id = app
                .subscription(number, json!({"status": initial}))
                .await
                .expect(201)
                .id();
            app.post(
                &format!("/api/v1/subscriptions/{id}/assign"),
                &app.admin,
                json!({"employee_id": nurse}),
            )
            .await
            .expect(200);
            if status == "suspended" {
                app.post(
                    &format!("/api/v1/subscriptions/{id}/suspend"),
                    &app.admin,
                    json!({}),
                )
                .await
                .expect(200);
            }
            id
        }
    };
    let number = subscription_in("active", "0701000001").await;
    let spare_token = World::spare_token(&app).await;

    let mut routes = vec![
        route(
            Method::GET,
            format!("/api/v1/units/{ward}"),
            Body::None,
            READ_SCOPED,
        ),
        route(
            Method::GET,
            format!("/api/v1/employees/{nurse}"),
            Body::None,
            READ_SCOPED,
        ),
        route(
            Method::GET,
            format!("/api/v1/devices/{held}"),
            Body::None,
            READ_SCOPED,
        ),
        route(
            Method::GET,
            format!("/api/v1/devices/{held}/history"),
            Body::None,
            READ_SCOPED,
        ),
        route(
            Method::GET,
            format!("/api/v1/subscriptions/{number}"),
            Body::None,
            READ_SCOPED,
        ),
        route(
            Method::GET,
            format!("/api/v1/subscriptions/{number}/history"),
            Body::None,
            READ_SCOPED,
        ),
        Route {
            reveals: Some((ward.clone(), SCOPED_VIEWERS)),
            ..route(Method::GET, "/api/v1/units", Body::None, LIST_SCOPED)
        },
        Route {
            reveals: Some((role.clone(), &["manager_other", "manager", "admin"])),
            ..route(
                Method::GET,
                "/api/v1/roles",
                Body::None,
                [0, 200, 200, 200, 200],
            )
        },
        Route {
            reveals: Some((nurse.clone(), SCOPED_VIEWERS)),
            ..route(Method::GET, "/api/v1/employees", Body::None, LIST_SCOPED)
        },
        Route {
            reveals: Some((held.clone(), SCOPED_VIEWERS)),
            ..route(Method::GET, "/api/v1/devices", Body::None, LIST_SCOPED)
        },
        Route {
            reveals: Some((held.clone(), SCOPED_VIEWERS)),
            ..route(
                Method::GET,
                "/api/v1/devices?format=csv",
                Body::None,
                LIST_SCOPED,
            )
        },
        Route {
            reveals: Some((number.clone(), SCOPED_VIEWERS)),
            ..route(
                Method::GET,
                "/api/v1/subscriptions",
                Body::None,
                LIST_SCOPED,
            )
        },
        Route {
            reveals: Some((nurse.clone(), SCOPED_VIEWERS)),
            ..route(
                Method::GET,
                "/api/v1/employees?format=csv",
                Body::None,
                LIST_SCOPED,
            )
        },
        Route {
            reveals: Some((spare_token.clone(), SCOPED_VIEWERS)),
            ..route(Method::GET, "/api/v1/tokens", Body::None, ADMIN_LIST)
        },
        Route {
            reveals: Some((held.clone(), SCOPED_VIEWERS)),
            ..route(Method::GET, "/api/v1/audit", Body::None, ADMIN_LIST)
        },
        route(Method::GET, "/api/v1/me", Body::None, ME),
        route(Method::GET, "/api/v1/me/devices", Body::None, ME),
        route(Method::GET, "/api/v1/me/subscriptions", Body::None, ME),
        route(
            Method::POST,
            "/api/v1/units",
            Body::Json(json!({"name": "Ny", "parent_id": managed})),
            CREATE_REFERRING,
        ),
        route(
            Method::POST,
            "/api/v1/roles",
            Body::Json(json!({"name": "Barnmorska"})),
            CREATE_OWN,
        ),
        route(
            Method::POST,
            "/api/v1/employees",
            Body::Json(
                json!({"name": "Ny", "email": "ny@region.se", "unit_id": ward, "role_id": role, "employment_type": "permanent"}),
            ),
            CREATE_REFERRING,
        ),
        route(
            Method::POST,
            "/api/v1/devices",
            Body::Json(
                json!({"kind": "phone", "manufacturer": "A", "model": "B", "serial_number": "NEW", "ownership": "organization", "unit_id": managed}),
            ),
            CREATE_REFERRING,
        ),
        route(
            Method::POST,
            "/api/v1/subscriptions",
            Body::Json(
                json!({"msisdn": "0709999999", "operator": "Telia", "plan": "P", "monthly_cost": "1.00"}),
            ),
            CREATE_OWN,
        ),
        route(
            Method::POST,
            "/api/v1/tokens",
            Body::Json(json!({"name": "t", "role": "manager", "unit_ids": [managed]})),
            CREATE_REFERRING,
        ),
        route(
            Method::PATCH,
            format!("/api/v1/units/{ward}"),
            Body::Json(json!({"cost_center": "K1"})),
            WRITE_OBJECT,
        ),
        route(
            Method::PATCH,
            format!("/api/v1/employees/{nurse}"),
            Body::Json(json!({"name": "Nurse N"})),
            WRITE_OBJECT,
        ),
        route(
            Method::PATCH,
            format!("/api/v1/devices/{held}"),
            Body::Json(json!({"model": "C"})),
            WRITE_OBJECT,
        ),
        route(
            Method::PATCH,
            format!("/api/v1/subscriptions/{number}"),
            Body::Json(json!({"plan": "Q"})),
            WRITE_OBJECT,
        ),
        route(
            Method::DELETE,
            format!("/api/v1/tokens/{spare_token}"),
            Body::None,
            REVOKE,
        ),
        route(Method::GET, "/api/v1/tenant", Body::None, OWN_TENANT),
        route(
            Method::PATCH,
            "/api/v1/tenant",
            Body::Json(json!({"name": "Region Test"})),
            OWN_TENANT,
        ),
        route(
            Method::GET,
            "/api/v1/identity-provider",
            Body::None,
            NOT_SET_UP,
        ),
        // Nothing answers at this issuer: the settings are refused, whoever may send them.
        route(
            Method::PUT,
            "/api/v1/identity-provider",
            Body::Json(
                json!({"issuer": "http://127.0.0.1:9", "client_id": "c", "client_secret": "s"}),
            ),
            REFUSED_INPUT,
        ),
        route(
            Method::DELETE,
            "/api/v1/identity-provider",
            Body::None,
            NOT_SET_UP,
        ),
        route(Method::GET, "/api/v1/push-apps", Body::None, OWN_TENANT),
        route(
            Method::GET,
            "/api/v1/push-apps/se.region.none",
            Body::None,
            NOT_SET_UP,
        ),
        // No key: refused, whoever may send it.
        route(
            Method::PUT,
            "/api/v1/push-apps/se.region.app",
            Body::Json(json!({"name": "App", "fcm": {}})),
            REFUSED_INPUT,
        ),
        route(
            Method::DELETE,
            "/api/v1/push-apps/se.region.none",
            Body::None,
            NOT_SET_UP,
        ),
        route(
            Method::GET,
            "/api/v1/directory/settings",
            Body::None,
            OWN_TENANT,
        ),
        // A mapping to the first tenant's unit: refused for another tenant's admin.
        route(
            Method::PUT,
            "/api/v1/directory/settings",
            Body::Json(json!({"unit_from": "cost_center", "role_from": "title",
                "group_mappings": [{"group": "Chefer", "places": "manager", "target_id": managed}]})),
            CREATE_REFERRING_OK,
        ),
        route(
            Method::GET,
            "/api/v1/directory/problems",
            Body::None,
            OWN_TENANT,
        ),
        route(
            Method::POST,
            "/api/v1/import/devices",
            Body::Csv(format!(
                "kind,manufacturer,model,serial_number,imei,ownership\nphone,A,B,IMP-1,{},organization\n",
                imei(5)
            )),
            IMPORT_OWN,
        ),
        route(
            Method::POST,
            "/api/v1/import/subscriptions",
            Body::Csv("msisdn,operator,plan,monthly_cost\n0708888888,Telia,P,1.00\n".to_owned()),
            IMPORT_OWN,
        ),
        route(
            Method::POST,
            "/api/v1/import/employees",
            Body::Csv(format!(
                "name,email,unit_id,role_id,employment_type\nImp,imp@region.se,{ward},{role},permanent\n"
            )),
            IMPORT_REFERRING,
        ),
    ];
    // Working time (issue 3).
    let hours = json!({"working_hours": {"mon": [{"start": "08:00", "end": "17:00"}]}});
    let policy = json!({"time_zone": "Europe/Stockholm", "working_hours": {"mon": [{"start": "08:00", "end": "17:00"}]}});
    let shift = |day: u32| json!({"shifts": [{"starts_at": format!("2026-12-{day:02}T07:00:00+01:00"), "ends_at": format!("2026-12-{day:02}T15:00:00+01:00"), "kind": "work"}]});
    let stored_shift = app
        .post(
            &format!("/api/v1/employees/{nurse}/shifts"),
            &app.admin,
            shift(1),
        )
        .await
        .expect(201)
        .json["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let absence = json!({"starts_on": "2026-12-21", "ends_on": "2026-12-22", "kind": "vacation"});
    let stored_absence = app
        .post(
            &format!("/api/v1/employees/{nurse}/absences"),
            &app.admin,
            absence.clone(),
        )
        .await
        .expect(201)
        .id();
    let focus = json!({"until": (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339()});
    const DELETE_OBJECT: Answers = [0, 0, 0, 404, 204];
    const CREATE_FOR_OBJECT: Answers = [0, 0, 0, 404, 201];
    const MY_DELETE: Answers = [204, 404, 404, 404, 404];
    routes.extend([
        route(Method::GET, "/api/v1/policy", Body::None, ADMIN_LIST),
        route(
            Method::PUT,
            "/api/v1/policy",
            Body::Json(policy),
            IMPORT_OWN,
        ),
        route(
            Method::POST,
            "/api/v1/policy/holidays/swedish?year=2026",
            Body::Json(json!({})),
            IMPORT_OWN,
        ),
        route(
            Method::PUT,
            format!("/api/v1/units/{ward}/working-hours"),
            Body::Json(hours.clone()),
            WRITE_OBJECT,
        ),
        route(
            Method::DELETE,
            format!("/api/v1/units/{ward}/working-hours"),
            Body::None,
            DELETE_OBJECT,
        ),
        route(
            Method::PUT,
            format!("/api/v1/employees/{nurse}/working-hours"),
            Body::Json(hours),
            WRITE_OBJECT,
        ),
        route(
            Method::DELETE,
            format!("/api/v1/employees/{nurse}/working-hours"),
            Body::None,
            DELETE_OBJECT,
        ),
        route(
            Method::POST,
            format!("/api/v1/employees/{nurse}/shifts"),
            Body::Json(shift(2)),
            CREATE_FOR_OBJECT,
        ),
        route(
            Method::GET,
            format!("/api/v1/employees/{nurse}/shifts"),
            Body::None,
            READ_SCOPED,
        ),
        route(
            Method::DELETE,
            format!("/api/v1/shifts/{stored_shift}"),
            Body::None,
            DELETE_OBJECT,
        ),
        route(
            Method::POST,
            format!("/api/v1/employees/{nurse}/absences"),
            Body::Json(absence),
            CREATE_FOR_OBJECT,
        ),
        route(
            Method::GET,
            format!("/api/v1/employees/{nurse}/absences"),
            Body::None,
            READ_SCOPED,
        ),
        route(
            Method::DELETE,
            format!("/api/v1/absences/{stored_absence}"),
            Body::None,
            DELETE_OBJECT,
        ),
        route(
            Method::GET,
            format!("/api/v1/employees/{nurse}/reachability"),
            Body::None,
            READ_SCOPED,
        ),
        route(Method::GET, "/api/v1/me/reachability", Body::None, ME),
        route(Method::PUT, "/api/v1/me/focus", Body::Json(focus), ME),
        route(Method::DELETE, "/api/v1/me/focus", Body::None, MY_DELETE),
        route(
            Method::POST,
            "/api/v1/import/shifts",
            Body::Csv(
                "employee,starts_at,ends_at,kind
nurse@region.se,2026-12-03 07:00,2026-12-03 15:00,work
"
                .to_owned(),
            ),
            IMPORT_REFERRING,
        ),
    ]);
    // Each lifecycle action on an object in the state that allows it, so the admin's
    // final call succeeds only if no one before it changed anything.
    let device_actions = [
        ("ordered", "receive", json!({})),
        ("in_stock", "assign", json!({"employee_id": nurse})),
        ("assigned", "unassign", json!({})),
        ("assigned", "send-to-repair", json!({})),
        ("in_repair", "return-from-repair", json!({})),
        ("in_stock", "retire", json!({"reason": "sold"})),
    ];
    for (n, (status, action, body)) in device_actions.into_iter().enumerate() {
        let id = device_in(status, format!("ACT-{n}")).await;
        app.patch(
            &format!("/api/v1/devices/{id}"),
            &app.admin,
            json!({"unit_id": managed}),
        )
        .await
        .expect(200);
        routes.push(route(
            Method::POST,
            format!("/api/v1/devices/{id}/{action}"),
            Body::Json(body),
            [0, 0, 0, 404, 200],
        ));
    }
    let subscription_actions = [
        ("ordered", "activate", "0702000001", json!({})),
        ("active", "suspend", "0702000002", json!({})),
        ("suspended", "resume", "0702000003", json!({})),
        ("active", "terminate", "0702000004", json!({})),
        (
            "active",
            "assign",
            "0702000005",
            json!({"employee_id": nurse}),
        ),
    ];
    for (status, action, number, body) in subscription_actions {
        let id = subscription_in(status, number).await;
        routes.push(route(
            Method::POST,
            format!("/api/v1/subscriptions/{id}/{action}"),
            Body::Json(body),
            WRITE_OBJECT,
        ));
    }

    // Notices: one the admin sent, one the manager sent, and the nurse's phone.
    let notice_body = world.notice();
    let registration = app
        .post(
            "/api/v1/me/push-registrations",
            &tokens[2],
            json!({"provider": "log", "token": "matrix-phone"}),
        )
        .await
        .expect(201)
        .id();
    let (admins_notice, managers_notice) = world.notices(&app).await;
    routes.extend([
        route(
            Method::POST,
            "/api/v1/notices/preview",
            Body::Json(notice_body.clone()),
            PREVIEW_SCOPED,
        ),
        route(
            Method::POST,
            "/api/v1/notices",
            Body::Json(notice_body),
            SEND_SCOPED,
        ),
        Route {
            reveals: Some((admins_notice.clone(), &["admin"])),
            ..route(Method::GET, "/api/v1/notices", Body::None, LIST_SCOPED)
        },
        route(
            Method::GET,
            format!("/api/v1/notices/{admins_notice}"),
            Body::None,
            ADMINS_NOTICE,
        ),
        route(
            Method::GET,
            format!("/api/v1/notices/{managers_notice}"),
            Body::None,
            READ_SCOPED,
        ),
        Route {
            reveals: Some((nurse.clone(), SCOPED_VIEWERS)),
            ..route(
                Method::GET,
                format!("/api/v1/notices/{managers_notice}/deliveries?status=scheduled"),
                Body::None,
                READ_SCOPED,
            )
        },
        route(
            Method::DELETE,
            format!("/api/v1/notices/{managers_notice}"),
            Body::None,
            READ_SCOPED,
        ),
        Route {
            reveals: Some((admins_notice.clone(), &["employee"])),
            ..route(Method::GET, "/api/v1/me/notices", Body::None, ME)
        },
        route(
            Method::POST,
            format!("/api/v1/me/notices/{admins_notice}/ack"),
            Body::Json(json!({})),
            ME,
        ),
        route(
            Method::POST,
            "/api/v1/me/push-registrations",
            Body::Json(json!({"provider": "fcm", "token": "another-phone"})),
            ME_CREATE,
        ),
        route(Method::GET, "/api/v1/me/push-registrations", Body::None, ME),
        route(
            Method::DELETE,
            format!("/api/v1/me/push-registrations/{registration}"),
            Body::None,
            ME_DELETE,
        ),
    ]);

    // Roll-out planning, agreements and reports.
    let profile_body = |name: &str| {
        json!({"name": name, "device_kind": "phone", "device_price": "5000", "setup_cost": "0",
            "monthly_subscription_cost": "100", "monthly_support_cost": "0", "lifetime_months": 36})
    };
    let profile = app
        .post("/api/v1/device-profiles", &app.admin, profile_body("Bas"))
        .await
        .expect(201)
        .id();
    let spare_profile = app
        .post(
            "/api/v1/device-profiles",
            &app.admin,
            profile_body("Reserv"),
        )
        .await
        .expect(201)
        .id();
    let rule = app
        .post(
            "/api/v1/rollout-rules",
            &app.admin,
            json!({"role_id": role, "unit_id": managed, "profile_id": profile, "wave": 1}),
        )
        .await
        .expect(201)
        .id();
    let spare_rule = world.spare_rule(&app).await;
    let template_of = async |name: &str| {
        app.post(
            "/api/v1/notice-templates",
            &app.admin,
            json!({"name": name, "title": "T", "body": "B", "priority": "info"}),
        )
        .await
        .expect(201)
        .id()
    };
    let template = template_of("Kept").await;
    let spare_template = template_of("Spare").await;
    let contract_body = json!({"supplier": "Atea", "kind": "devices", "starts_on": "2025-01-01",
        "ends_on": "2027-06-30", "notice_period_days": 90});
    let contract = app
        .post("/api/v1/contracts", &app.admin, contract_body.clone())
        .await
        .expect(201)
        .id();
    let spare_contract = app
        .post("/api/v1/contracts", &app.admin, contract_body.clone())
        .await
        .expect(201)
        .id();
    routes.extend([
        route(
            Method::POST,
            "/api/v1/device-profiles",
            Body::Json(profile_body("Ny")),
            CREATE_OWN,
        ),
        route(
            Method::GET,
            "/api/v1/device-profiles",
            Body::None,
            LIST_SCOPED,
        ),
        route(
            Method::GET,
            format!("/api/v1/device-profiles/{profile}"),
            Body::None,
            TENANT_READ,
        ),
        route(
            Method::PATCH,
            format!("/api/v1/device-profiles/{profile}"),
            Body::Json(json!({"setup_cost": "250"})),
            WRITE_OBJECT,
        ),
        route(
            Method::DELETE,
            format!("/api/v1/device-profiles/{spare_profile}"),
            Body::None,
            REVOKE,
        ),
        route(
            Method::POST,
            "/api/v1/rollout-rules",
            Body::Json(json!({"role_id": role, "wave": 3})),
            CREATE_REFERRING,
        ),
        route(
            Method::GET,
            "/api/v1/rollout-rules",
            Body::None,
            LIST_SCOPED,
        ),
        route(
            Method::PATCH,
            format!("/api/v1/rollout-rules/{rule}"),
            Body::Json(json!({"wave": 2})),
            WRITE_OBJECT,
        ),
        route(
            Method::DELETE,
            format!("/api/v1/rollout-rules/{spare_rule}"),
            Body::None,
            REVOKE,
        ),
        // Notice templates are the tenant's, one name each: the first of its senders
        // makes one, the next finds the name taken; another tenant has its own names.
        route(
            Method::POST,
            "/api/v1/notice-templates",
            Body::Json(json!({"name": "Möte", "title": "Möte", "body": "Kl 14",
                "priority": "info"})),
            [0, 201, 409, 201, 409],
        ),
        route(
            Method::GET,
            "/api/v1/notice-templates",
            Body::None,
            LIST_SCOPED,
        ),
        route(
            Method::GET,
            format!("/api/v1/notice-templates/{template}"),
            Body::None,
            TENANT_READ,
        ),
        // Any of the tenant's senders may remove one: the first does.
        route(
            Method::DELETE,
            format!("/api/v1/notice-templates/{spare_template}"),
            Body::None,
            [0, 204, 404, 404, 404],
        ),
        route(
            Method::POST,
            "/api/v1/contracts",
            Body::Json(contract_body),
            CREATE_OWN,
        ),
        route(Method::GET, "/api/v1/contracts", Body::None, LIST_SCOPED),
        route(
            Method::GET,
            format!("/api/v1/contracts/{contract}"),
            Body::None,
            TENANT_READ,
        ),
        route(
            Method::PATCH,
            format!("/api/v1/contracts/{contract}"),
            Body::Json(json!({"reference": "Adda"})),
            WRITE_OBJECT,
        ),
        route(
            Method::DELETE,
            format!("/api/v1/contracts/{spare_contract}"),
            Body::None,
            REVOKE,
        ),
        Route {
            // The nurse's own unit, below the managed one whose rule she falls under.
            reveals: Some((ward.clone(), SCOPED_VIEWERS)),
            ..route(
                Method::GET,
                "/api/v1/reports/rollout",
                Body::None,
                LIST_SCOPED,
            )
        },
        route(
            Method::GET,
            "/api/v1/reports/rollout/compare?a=1&b=2&format=csv",
            Body::None,
            LIST_SCOPED,
        ),
        route(
            Method::GET,
            "/api/v1/reports/utilization?format=xlsx",
            Body::None,
            LIST_SCOPED,
        ),
        route(
            Method::GET,
            "/api/v1/reports/unused-subscriptions",
            Body::None,
            LIST_SCOPED,
        ),
        route(
            Method::GET,
            "/api/v1/reports/returns-due",
            Body::None,
            LIST_SCOPED,
        ),
        route(
            Method::GET,
            "/api/v1/reports/contracts-expiring",
            Body::None,
            LIST_SCOPED,
        ),
        route(
            Method::GET,
            "/api/v1/reports/after-hours",
            Body::None,
            LIST_SCOPED,
        ),
        route(
            Method::GET,
            "/api/v1/reports/schedule-gaps",
            Body::None,
            LIST_SCOPED,
        ),
    ]);

    let mut failures = Vec::new();
    let mut walked = std::collections::HashSet::new();
    for route in &routes {
        let Some((template, rules)) = rules_of(API_ROUTES, "/api/v1", &route.method, &route.path)
        else {
            failures.push(format!(
                "{} {} is not in API_ROUTES",
                route.method, route.path
            ));
            continue;
        };
        walked.insert((route.method.as_str().to_owned(), template));
        for (i, caller) in CALLERS.iter().enumerate() {
            let expect = match expected(rules, &route.expect, caller, 401) {
                Ok(status) => status,
                Err(why) => {
                    failures.push(format!("{} {}: {why}", route.method, route.path));
                    continue;
                }
            };
            let mut request = app
                .client
                .request(route.method.clone(), format!("{}{}", app.base, route.path));
            if !tokens[i].is_empty() {
                request = request.bearer_auth(&tokens[i]);
            }
            request = match &route.body {
                Body::None => request,
                Body::Json(v) => request.json(v),
                Body::Csv(s) => request.header("content-type", "text/csv").body(s.clone()),
            };
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let content_type = response
                .headers()
                .get("content-type")
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default();
            let text = response.text().await.unwrap();
            assert!(
                status < 500,
                "{} {} as {caller}: {status} {text}",
                route.method,
                route.path
            );
            if status != expect {
                failures.push(format!(
                    "{} {} as {caller}: {status}, expected {expect} ({text})",
                    route.method, route.path
                ));
            }
            if status >= 400 && content_type != "application/problem+json" {
                failures.push(format!(
                    "{} {} as {caller}: {status} is not problem+json",
                    route.method, route.path
                ));
            }
            if let Some((id, viewers)) = &route.reveals
                && status == 200
            {
                let may_see = viewers.contains(caller);
                if text.contains(id.as_str()) != may_see {
                    failures.push(format!(
                        "{} {} as {caller}: visibility of {id} wrong",
                        route.method, route.path
                    ));
                }
            }
        }
    }
    for (method, template, _) in API_ROUTES {
        if !walked.contains(&(method.to_string(), *template)) {
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
// The matrix sends hundreds of missing and wrong tokens from one address on purpose: the
// failed-sign-in limit (tested in `hardening`) is raised out of its way.
both_stores!(every_route_answers_every_caller_as_expected, |config| {
    config.limits.failed_auth_per_minute = 100_000;
});

/// `API_ROUTES` names every operation of the OpenAPI document, and nothing else (the
/// health checks and the document itself, tagged `meta`, are open to all).
async fn every_api_operation_is_in_the_matrix(app: TestApp) {
    let doc = app.get("/api/v1/openapi.json", "").await.expect(200).json;
    let mut documented = std::collections::BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let open = operation["tags"]
                .as_array()
                .is_some_and(|tags| tags.contains(&json!("meta")));
            if operation.get("responses").is_some() && !open {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    let listed: std::collections::BTreeSet<(String, String)> = API_ROUTES
        .iter()
        .map(|(m, t, _)| (m.to_string(), format!("/api/v1{t}")))
        .collect();
    assert_eq!(
        documented.difference(&listed).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "documented, not in the matrix"
    );
    assert_eq!(
        listed.difference(&documented).collect::<Vec<_>>(),
        Vec::<&(String, String)>::new(),
        "in the matrix, not documented"
    );
}
both_stores!(every_api_operation_is_in_the_matrix);
