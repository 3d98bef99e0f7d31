use reqwest::Method;

use crate::helpers::{TestApp, both_stores};

async fn probes_and_the_openapi_document_need_no_token(app: TestApp) {
    let answer = app
        .call(Method::GET, "/healthz", None, None)
        .await
        .expect(200);
    assert_eq!(answer.json["status"], "ok");
    let answer = app
        .call(Method::GET, "/readyz", None, None)
        .await
        .expect(200);
    assert_eq!(answer.json["status"], "ready");

    let doc = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .expect(200)
        .json;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/healthz",
        "/readyz",
        "/api/v1/openapi.json",
        "/api/v1/tokens",
        "/api/v1/tokens/{id}",
        "/api/v1/units",
        "/api/v1/units/{id}",
        "/api/v1/roles",
        "/api/v1/employees",
        "/api/v1/employees/{id}",
        "/api/v1/me",
        "/api/v1/devices",
        "/api/v1/devices/{id}",
        "/api/v1/devices/{id}/history",
        "/api/v1/devices/{id}/receive",
        "/api/v1/devices/{id}/assign",
        "/api/v1/devices/{id}/unassign",
        "/api/v1/devices/{id}/send-to-repair",
        "/api/v1/devices/{id}/return-from-repair",
        "/api/v1/devices/{id}/retire",
        "/api/v1/subscriptions",
        "/api/v1/subscriptions/{id}/activate",
        "/api/v1/subscriptions/{id}/suspend",
        "/api/v1/subscriptions/{id}/resume",
        "/api/v1/subscriptions/{id}/terminate",
        "/api/v1/subscriptions/{id}/assign",
        "/api/v1/subscriptions/{id}/history",
        "/api/v1/import/devices",
        "/api/v1/import/employees",
        "/api/v1/import/subscriptions",
        "/api/v1/audit",
        "/api/v1/policy",
        "/api/v1/policy/holidays/swedish",
        "/api/v1/units/{id}/working-hours",
        "/api/v1/employees/{id}/working-hours",
        "/api/v1/employees/{id}/shifts",
        "/api/v1/shifts/{id}",
        "/api/v1/employees/{id}/absences",
        "/api/v1/absences/{id}",
        "/api/v1/me/focus",
        "/api/v1/employees/{id}/reachability",
        "/api/v1/me/reachability",
        "/api/v1/import/shifts",
        "/api/v1/me/push-registrations",
        "/api/v1/me/push-registrations/{id}",
        "/api/v1/me/notices",
        "/api/v1/me/notices/{id}/ack",
        "/api/v1/notices",
        "/api/v1/notices/preview",
        "/api/v1/notices/{id}",
        "/api/v1/notices/{id}/deliveries",
        "/api/v1/device-profiles",
        "/api/v1/device-profiles/{id}",
        "/api/v1/rollout-rules",
        "/api/v1/rollout-rules/{id}",
        "/api/v1/reports/rollout",
        "/api/v1/reports/rollout/compare",
        "/api/v1/reports/utilization",
        "/api/v1/reports/unused-subscriptions",
        "/api/v1/reports/returns-due",
        "/api/v1/reports/contracts-expiring",
        "/api/v1/reports/after-hours",
        "/api/v1/reports/schedule-gaps",
        "/api/v1/contracts",
        "/api/v1/contracts/{id}",
    ] {
        assert!(
            paths.contains_key(path),
            "the OpenAPI document lacks {path}"
        );
    }
    // Error answers are documented as problem+json.
    let create = &doc["paths"]["/api/v1/devices"]["post"]["responses"];
    assert!(
        create["422"]["content"]["application/problem+json"].is_object(),
        "{create}"
    );
}
both_stores!(probes_and_the_openapi_document_need_no_token);

async fn unknown_routes_and_methods_answer_problems(app: TestApp) {
    let answer = app
        .get("/api/v1/nothing-here", &app.admin)
        .await
        .expect(404);
    assert_eq!(answer.content_type, "application/problem+json");
    let answer = app
        .call(Method::PUT, "/api/v1/devices", Some(&app.admin), None)
        .await
        .expect(405);
    assert_eq!(answer.content_type, "application/problem+json");
}
both_stores!(unknown_routes_and_methods_answer_problems);

/// Each answer names its request, for an operator and a caller to quote to each other:
/// a caller's plain `x-request-id` is kept, anything else (a space, a line break that
/// would forge a log line) is replaced by a fresh id, and a problem's `instance` names
/// the same request.
async fn every_answer_names_its_request(app: TestApp) {
    let missing = format!("{}/api/v1/devices/{}", app.base, uuid::Uuid::nil());
    let kept = app
        .client
        .get(&missing)
        .bearer_auth(&app.admin)
        .header("x-request-id", "lb-42.a")
        .send()
        .await
        .unwrap();
    assert_eq!(kept.status(), reqwest::StatusCode::NOT_FOUND);
    assert_eq!(kept.headers()["x-request-id"], "lb-42.a");
    let problem: serde_json::Value = kept.json().await.unwrap();
    assert_eq!(problem["instance"], "urn:stilla:request:lb-42.a");
    assert_eq!(problem["status"], 404, "the rest of the problem as it was");

    let forged = app
        .client
        .get(&missing)
        .bearer_auth(&app.admin)
        .header("x-request-id", "a b")
        .send()
        .await
        .unwrap();
    let id = forged.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "a fresh id, not {id}");
    let problem: serde_json::Value = forged.json().await.unwrap();
    assert_eq!(problem["instance"], format!("urn:stilla:request:{id}"));

    // A success has one too, each request its own.
    let ids = healthz_ids(&app).await;
    assert_ne!(ids[0], ids[1]);
}
both_stores!(every_answer_names_its_request);

/// The ids of two answers to the same request.
async fn healthz_ids(app: &TestApp) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..2 {
        let answer = app
            .client
            .get(format!("{}/healthz", app.base))
            .send()
            .await
            .unwrap();
        ids.push(
            answer.headers()["x-request-id"]
                .to_str()
                .unwrap()
                .to_owned(),
        );
    }
    ids
}

/// An instance whose database still lacks a migration it knows (another instance is
/// upgrading it) is not ready: 503 naming what is pending; once run, ready again.
async fn not_ready_while_migrations_are_pending(app: TestApp) {
    use sea_orm::ConnectionTrait;
    let last: String = app
        .column_values("seaql_migrations", "version")
        .await
        .into_iter()
        .max()
        .unwrap();
    let row = |sql: String| sea_orm::Statement::from_string(app.db.get_database_backend(), sql);
    let applied: i64 = app
        .db
        .query_one_raw(row(format!(
            "SELECT applied_at FROM seaql_migrations WHERE version = '{last}'"
        )))
        .await
        .unwrap()
        .unwrap()
        .try_get("", "applied_at")
        .unwrap();
    app.db
        .execute_raw(row(format!(
            "DELETE FROM seaql_migrations WHERE version = '{last}'"
        )))
        .await
        .unwrap();
    let waiting = app
        .call(Method::GET, "/readyz", None, None)
        .await
        .expect(503);
    assert_eq!(waiting.json["status"], "migrating");
    assert_eq!(waiting.json["pending"], serde_json::json!([last]));
    app.db
        .execute_raw(row(format!(
            "INSERT INTO seaql_migrations (version, applied_at) VALUES ('{last}', {applied})"
        )))
        .await
        .unwrap();
    let ready = app
        .call(Method::GET, "/readyz", None, None)
        .await
        .expect(200);
    assert_eq!(ready.json["status"], "ready");
}
both_stores!(not_ready_while_migrations_are_pending);
