//! Staff provisioned over SCIM 2.0, replaying what Microsoft Entra ID sends (its
//! documented sequence: look the user up by userName, create, patch attributes,
//! disable, re-enable, delete), and checking the employee, unit, role, manager and
//! returns-due effects, the refusals, the ETags, and who may call at all.
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, both_stores, imei},
    notices::phone,
};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

struct Scim {
    status: StatusCode,
    json: Value,
    etag: Option<String>,
    content_type: String,
}

async fn scim(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
    if_match: Option<&str>,
) -> Scim {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}/scim/v2{path}", app.base))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request
            .header("content-type", "application/scim+json")
            .body(body.to_string());
    }
    if let Some(version) = if_match {
        request = request.header("if-match", version);
    }
    let response = request.send().await.unwrap();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (etag, content_type) = (header("etag"), header("content-type").unwrap_or_default());
    let status = response.status();
    let text = response.text().await.unwrap();
    Scim {
        status,
        json: serde_json::from_str(&text).unwrap_or(Value::Null),
        etag,
        content_type,
    }
}

/// A new user as Entra ID sends it.
fn entra_user(user_name: &str, cost_center: &str, title: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "externalId": format!("oid-{user_name}"),
        "userName": user_name,
        "active": true,
        "displayName": "Anna Andersson",
        "title": title,
        "emails": [{"primary": true, "type": "work", "value": user_name}],
        "name": {"givenName": "Anna", "familyName": "Andersson", "formatted": "Anna Andersson"},
        ENTERPRISE: {"employeeNumber": "12345", "department": "Medicinkliniken", "costCenter": cost_center},
    })
}

fn patch(operations: Value) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations})
}

async fn entras_provisioning_sequence(app: TestApp) {
    let ward = app
        .post(
            "/api/v1/units",
            &app.admin,
            json!({"name": "Avd 12", "cost_center": "K100"}),
        )
        .await
        .expect(201)
        .id();
    let other_ward = app
        .post(
            "/api/v1/units",
            &app.admin,
            json!({"name": "Avd 14", "cost_center": "K200"}),
        )
        .await
        .expect(201)
        .id();
    let nurse = app.role("Sjuksköterska").await;
    let assistant = app.role("Undersköterska").await;
    let token = app
        .token(json!({"name": "Entra ID provisioning", "role": "scim"}))
        .await;

    // 1. Is there a user with this userName? No.
    let found = scim(
        &app,
        Method::GET,
        "/Users?filter=userName%20eq%20%22anna%40region.se%22",
        &token,
        None,
        None,
    )
    .await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(found.content_type.starts_with("application/scim+json"));
    assert_eq!(found.json["totalResults"], 0);

    // 2. Create: placed by cost centre and title.
    let created = scim(
        &app,
        Method::POST,
        "/Users",
        &token,
        Some(entra_user("anna@region.se", "K100", "sjuksköterska")),
        None,
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let id = created.json["id"].as_str().unwrap().to_owned();
    assert_eq!(created.json["userName"], "anna@region.se");
    assert_eq!(created.json[ENTERPRISE]["costCenter"], "K100");
    assert_eq!(
        created.json["meta"]["location"],
        format!("http://localhost:8080/scim/v2/Users/{id}")
    );
    assert!(created.etag.is_some());
    let employee = app
        .get(&format!("/api/v1/employees/{id}"), &app.admin)
        .await
        .expect(200);
    assert_eq!(employee.json["unit_id"], ward);
    assert_eq!(employee.json["role_id"], nurse);
    assert_eq!(employee.json["email"], "anna@region.se");
    assert_eq!(employee.json["name"], "Anna Andersson");
    assert_eq!(employee.json["external_id"], "oid-anna@region.se");
    // Created twice: refused as a uniqueness conflict.
    let again = scim(
        &app,
        Method::POST,
        "/Users",
        &token,
        Some(entra_user("ANNA@region.se", "K100", "Sjuksköterska")),
        None,
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.json["scimType"], "uniqueness");

    // Now the lookup finds her (userName without regard to case; externalId exactly).
    let found = scim(
        &app,
        Method::GET,
        "/Users?filter=userName%20eq%20%22Anna%40Region.se%22",
        &token,
        None,
        None,
    )
    .await;
    assert_eq!(found.json["totalResults"], 1);
    let found = scim(
        &app,
        Method::GET,
        "/Users?filter=externalId%20eq%20%22oid-anna%40region.se%22",
        &token,
        None,
        None,
    )
    .await;
    assert_eq!(found.json["Resources"][0]["id"], id);
    let refused = scim(
        &app,
        Method::GET,
        "/Users?filter=title%20eq%20%22x%22",
        &token,
        None,
        None,
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.json["scimType"], "invalidFilter");

    // Her manager, provisioned too.
    let boss = scim(
        &app,
        Method::POST,
        "/Users",
        &token,
        Some(entra_user("bo@region.se", "K100", "Sjuksköterska")),
        None,
    )
    .await;
    let boss = boss.json["id"].as_str().unwrap().to_owned();

    // 3. Patch attributes, in Entra ID's dialect.
    let patched = scim(&app, Method::PATCH, &format!("/Users/{id}"), &token, Some(patch(json!([
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "anna.andersson@region.se"},
        {"op": "Replace", "path": "displayName", "value": "Anna A. Andersson"},
        {"op": "Replace", "path": "title", "value": "Undersköterska"},
        {"op": "Replace", "path": format!("{ENTERPRISE}:costCenter"), "value": "K200"},
        {"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": boss},
    ]))), None).await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.json);
    assert_ne!(patched.etag, created.etag, "a new version");
    assert_eq!(patched.json[ENTERPRISE]["manager"]["value"], boss);
    let employee = app
        .get(&format!("/api/v1/employees/{id}"), &app.admin)
        .await
        .expect(200);
    assert_eq!(employee.json["unit_id"], other_ward);
    assert_eq!(employee.json["role_id"], assistant);
    assert_eq!(employee.json["email"], "anna.andersson@region.se");
    assert_eq!(employee.json["name"], "Anna A. Andersson");

    // An unknown cost centre is refused, changes nothing, and is listed for the admin.
    let refused = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &token,
        Some(patch(json!([
            {"op": "Replace", "path": format!("{ENTERPRISE}:costCenter"), "value": "K999"},
        ]))),
        None,
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.json["scimType"], "invalidValue");
    assert!(refused.json["detail"].as_str().unwrap().contains("K999"));
    let unchanged = app
        .get(&format!("/api/v1/employees/{id}"), &app.admin)
        .await
        .expect(200);
    assert_eq!(unchanged.json["unit_id"], other_ward);
    let problems = app
        .get("/api/v1/directory/problems", &app.admin)
        .await
        .expect(200);
    assert_eq!(
        problems.json["unplaced_values"][0]["attribute"],
        "costCenter"
    );
    assert_eq!(problems.json["unplaced_values"][0]["value"], "K999");
    assert_eq!(
        problems.json["unplaced_values"][0]["user_name"],
        "anna@region.se"
    );
    // So is a title no role category has, on create: nobody is made.
    let before = app.count("employees").await;
    let refused = scim(
        &app,
        Method::POST,
        "/Users",
        &token,
        Some(entra_user("cecilia@region.se", "K100", "Kurator")),
        None,
    )
    .await;
    assert_eq!(refused.json["scimType"], "invalidValue");
    assert_eq!(app.count("employees").await, before);

    // ETags: a write against an old version is refused.
    let stale = scim(
        &app,
        Method::PUT,
        &format!("/Users/{id}"),
        &token,
        Some(entra_user("anna@region.se", "K100", "Sjuksköterska")),
        created.etag.as_deref(),
    )
    .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let current = scim(
        &app,
        Method::GET,
        &format!("/Users/{id}"),
        &token,
        None,
        None,
    )
    .await;
    let put = scim(
        &app,
        Method::PUT,
        &format!("/Users/{id}"),
        &token,
        Some(entra_user("anna@region.se", "K100", "Sjuksköterska")),
        current.etag.as_deref(),
    )
    .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.json);
    let employee = app
        .get(&format!("/api/v1/employees/{id}"), &app.admin)
        .await
        .expect(200);
    assert_eq!(employee.json["unit_id"], ward);

    // She has a phone, a device and a token; then the directory disables her.
    let (her_token, registration) = phone(&app, &id).await;
    let device = app
        .device("DIR-1", json!({"imei": imei(77)}))
        .await
        .expect(201)
        .id();
    app.post(
        &format!("/api/v1/devices/{device}/assign"),
        &app.admin,
        json!({"employee_id": id}),
    )
    .await
    .expect(200);
    app.get("/api/v1/me", &her_token).await.expect(200);
    let disabled = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &token,
        Some(patch(json!([
            {"op": "Replace", "path": "active", "value": "False"},
        ]))),
        None,
    )
    .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.json);
    assert_eq!(disabled.json["active"], false);
    app.get("/api/v1/me", &her_token).await.expect(401);
    let registrations = app
        .get(&format!("/api/v1/employees/{id}"), &app.admin)
        .await
        .expect(200);
    assert!(
        registrations.json["employment_ends_on"].is_string(),
        "employment ends today"
    );
    let returns = app
        .get("/api/v1/reports/returns-due?days=30", &app.admin)
        .await
        .expect(200);
    assert!(
        returns.json["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["device_id"] == device),
        "her device is due back: {}",
        returns.json
    );
    let audit = app
        .get("/api/v1/audit?limit=200", &app.admin)
        .await
        .expect(200);
    let left = audit.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "leave" && e["entity_id"] == id)
        .expect("leaving is audited");
    assert_eq!(left["actor"], "Entra ID provisioning");
    assert!(
        audit.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "retire"
                && e["entity_id"] == registration
                && e["after"]["reason"] == "employment ended"),
        "her phone's registration is retired"
    );

    // Re-enabled: employed again, no end date; tokens stay revoked.
    let enabled = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{id}"),
        &token,
        Some(patch(json!([
            {"op": "Replace", "path": "active", "value": "True"},
        ]))),
        None,
    )
    .await;
    assert_eq!(enabled.json["active"], true);
    let employee = app
        .get(&format!("/api/v1/employees/{id}"), &app.admin)
        .await
        .expect(200);
    assert!(employee.json["employment_ends_on"].is_null());
    app.get("/api/v1/me", &her_token).await.expect(401);

    // Deleted: gone for the directory, kept as an employee whose employment ended.
    let deleted = scim(
        &app,
        Method::DELETE,
        &format!("/Users/{id}"),
        &token,
        None,
        None,
    )
    .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = scim(
        &app,
        Method::GET,
        &format!("/Users/{id}"),
        &token,
        None,
        None,
    )
    .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(
        gone.json["schemas"][0],
        "urn:ietf:params:scim:api:messages:2.0:Error"
    );
    let kept = app
        .get(&format!("/api/v1/employees/{id}"), &app.admin)
        .await
        .expect(200);
    assert!(kept.json["employment_ends_on"].is_string());
}
both_stores!(entras_provisioning_sequence);

async fn groups_place_people_and_name_managers(app: TestApp) {
    let ward = app
        .post(
            "/api/v1/units",
            &app.admin,
            json!({"name": "Avd 12", "cost_center": "K100"}),
        )
        .await
        .expect(201)
        .id();
    let nurse = app.role("Sjuksköterska").await;
    let token = app
        .token(json!({"name": "Entra ID provisioning", "role": "scim"}))
        .await;
    app.put(
        "/api/v1/directory/settings",
        &app.admin,
        json!({"unit_from": "group", "role_from": "group", "group_mappings": [
            {"group": "Avd 12 personal", "places": "unit", "target_id": ward},
            {"group": "Sjuksköterskor", "places": "role", "target_id": nurse},
            {"group": "Chefer Avd 12", "places": "manager", "target_id": ward},
        ]}),
    )
    .await
    .expect(200);
    // A user whom groups place waits until they are in one, listed for the admin.
    let anna = scim(
        &app,
        Method::POST,
        "/Users",
        &token,
        Some(entra_user("anna@region.se", "whatever", "whatever")),
        None,
    )
    .await;
    assert_eq!(anna.status, StatusCode::CREATED, "{}", anna.json);
    let anna = anna.json["id"].as_str().unwrap().to_owned();
    let problems = app
        .get("/api/v1/directory/problems", &app.admin)
        .await
        .expect(200);
    assert_eq!(problems.json["waiting_employee_ids"], json!([anna]));

    let staff = scim(
        &app,
        Method::POST,
        "/Groups",
        &token,
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": "Avd 12 personal", "members": [{"value": anna}],
        })),
        None,
    )
    .await;
    assert_eq!(staff.status, StatusCode::CREATED, "{}", staff.json);
    let nurses = scim(
        &app,
        Method::POST,
        "/Groups",
        &token,
        Some(json!({"displayName": "Sjuksköterskor"})),
        None,
    )
    .await;
    let nurses = nurses.json["id"].as_str().unwrap().to_owned();
    // Entra ID adds members with a PATCH.
    let added = scim(
        &app,
        Method::PATCH,
        &format!("/Groups/{nurses}"),
        &token,
        Some(patch(json!([
            {"op": "Add", "path": "members", "value": [{"value": anna}]},
        ]))),
        None,
    )
    .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.json);
    let employee = app
        .get(&format!("/api/v1/employees/{anna}"), &app.admin)
        .await
        .expect(200);
    assert_eq!(employee.json["unit_id"], ward);
    assert_eq!(employee.json["role_id"], nurse);
    let problems = app
        .get("/api/v1/directory/problems", &app.admin)
        .await
        .expect(200);
    assert_eq!(problems.json["waiting_employee_ids"], json!([]));

    // A managers' group names the unit's managers; leaving it ends that.
    let chefs = scim(
        &app,
        Method::POST,
        "/Groups",
        &token,
        Some(json!({"displayName": "Chefer Avd 12", "members": [{"value": anna}]})),
        None,
    )
    .await;
    let chefs = chefs.json["id"].as_str().unwrap().to_owned();
    let unit = app
        .get(&format!("/api/v1/units/{ward}"), &app.admin)
        .await
        .expect(200);
    assert_eq!(unit.json["manager_ids"], json!([anna]));
    // Groups are listed without members when Entra ID asks so.
    let listed = scim(
        &app,
        Method::GET,
        "/Groups?filter=displayName%20eq%20%22Chefer%20Avd%2012%22&excludedAttributes=members",
        &token,
        None,
        None,
    )
    .await;
    assert_eq!(listed.json["totalResults"], 1);
    assert!(listed.json["Resources"][0].get("members").is_none());
    let removed = scim(
        &app,
        Method::PATCH,
        &format!("/Groups/{chefs}"),
        &token,
        Some(patch(json!([
            {"op": "Remove", "path": format!("members[value eq \"{anna}\"]")},
        ]))),
        None,
    )
    .await;
    assert_eq!(removed.status, StatusCode::OK);
    let unit = app
        .get(&format!("/api/v1/units/{ward}"), &app.admin)
        .await
        .expect(200);
    assert_eq!(unit.json["manager_ids"], json!([]));
    // Out of the unit's group: waiting again.
    scim(
        &app,
        Method::DELETE,
        &format!("/Groups/{}", staff.json["id"].as_str().unwrap()),
        &token,
        None,
        None,
    )
    .await;
    let employee = app
        .get(&format!("/api/v1/employees/{anna}"), &app.admin)
        .await
        .expect(200);
    assert_ne!(employee.json["unit_id"], ward);
}
both_stores!(groups_place_people_and_name_managers);

async fn only_the_directorys_token_reaches_scim_and_nothing_else(app: TestApp) {
    let token = app.token(json!({"name": "Entra", "role": "scim"})).await;
    // No token: 401 in SCIM's format; an admin's token: 403.
    let anonymous = reqwest::get(format!("{}/scim/v2/Users", app.base))
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert!(
        anonymous.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/scim+json")
    );
    let admin = scim(&app, Method::GET, "/Users", &app.admin, None, None).await;
    assert_eq!(admin.status, StatusCode::FORBIDDEN);
    // The scim token reaches nothing of the API, and never the console.
    app.get("/api/v1/employees", &token).await.expect(403);
    app.get("/api/v1/units", &token).await.expect(403);
    let console = crate::console::Browser::new(&app).sign_in(&token).await;
    assert_eq!(console.status, StatusCode::UNAUTHORIZED);
    // A scim token names no person.
    let refused = app
        .post(
            "/api/v1/tokens",
            &app.admin,
            json!({"name": "x", "role": "scim", "employee_id": uuid::Uuid::now_v7()}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Another tenant's directory sees none of this tenant's users.
    app.post(
        "/api/v1/units",
        &app.admin,
        json!({"name": "A", "cost_center": "K1"}),
    )
    .await
    .expect(201);
    app.role("Sjuksköterska").await;
    let anna = scim(
        &app,
        Method::POST,
        "/Users",
        &token,
        Some(entra_user("anna@region.se", "K1", "Sjuksköterska")),
        None,
    )
    .await;
    let anna = anna.json["id"].as_str().unwrap().to_owned();
    let (_, other_admin) = app.other_tenant().await;
    let other = app
        .post(
            "/api/v1/tokens",
            &other_admin,
            json!({"name": "Their Entra", "role": "scim"}),
        )
        .await
        .expect(201)
        .json["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        scim(
            &app,
            Method::GET,
            &format!("/Users/{anna}"),
            &other,
            None,
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let listed = scim(&app, Method::GET, "/Users", &other, None, None).await;
    assert_eq!(listed.json["totalResults"], 0);
    let patched = scim(
        &app,
        Method::PATCH,
        &format!("/Users/{anna}"),
        &other,
        Some(patch(json!([
            {"op": "Replace", "path": "active", "value": false},
        ]))),
        None,
    )
    .await;
    assert_eq!(patched.status, StatusCode::NOT_FOUND);
    let still = scim(
        &app,
        Method::GET,
        &format!("/Users/{anna}"),
        &token,
        None,
        None,
    )
    .await;
    assert_ne!(still.json["active"], false);
}
both_stores!(only_the_directorys_token_reaches_scim_and_nothing_else);

async fn the_admin_sees_and_sets_the_directorys_placement_in_the_console(app: TestApp) {
    let ward = app
        .post(
            "/api/v1/units",
            &app.admin,
            json!({"name": "Avd 12", "cost_center": "K100"}),
        )
        .await
        .expect(201)
        .id();
    app.role("Sjuksköterska").await;
    let token = app.token(json!({"name": "Entra", "role": "scim"})).await;
    let refused = scim(
        &app,
        Method::POST,
        "/Users",
        &token,
        Some(entra_user("anna@region.se", "K404", "Sjuksköterska")),
        None,
    )
    .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);

    let admin = crate::console::Browser::signed_in(&app, &app.admin).await;
    let page = admin.get("/console/sign-in-settings").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.html.contains("K404"),
        "the unplaced cost centre is listed"
    );
    assert!(page.html.contains("anna@region.se"));
    let csrf = page.csrf();
    let saved = admin
        .post(
            "/console/sign-in-settings/directory",
            &[
                ("csrf", &csrf),
                ("group", "Chefer Avd 12"),
                ("places", "manager"),
                ("target_id", &ward),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let settings = app
        .get("/api/v1/directory/settings", &app.admin)
        .await
        .expect(200);
    assert_eq!(
        settings.json["group_mappings"],
        json!([{"group": "Chefer Avd 12", "places": "manager", "target_id": ward}])
    );
    assert_eq!(
        settings.json["unit_from"], "cost_center",
        "the rules stay as they were"
    );
    let removed = admin
        .post(
            "/console/sign-in-settings/directory",
            &[
                ("csrf", &csrf),
                ("remove", "0"),
                ("unit_from", "department"),
            ],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    let settings = app
        .get("/api/v1/directory/settings", &app.admin)
        .await
        .expect(200);
    assert_eq!(settings.json["group_mappings"], json!([]));
    assert_eq!(settings.json["unit_from"], "department");
}
both_stores!(the_admin_sees_and_sets_the_directorys_placement_in_the_console);
