use serde_json::{Value, json};

use crate::helpers::{TestApp, both_stores, imei};

/// Where each action leads from each status, written out from DESIGN.md.
fn expected_device(status: &str, action: &str) -> Option<&'static str> {
    match (status, action) {
        ("ordered", "receive") => Some("in_stock"),
        ("in_stock", "assign") => Some("assigned"),
        ("assigned", "unassign") => Some("in_stock"),
        ("in_stock" | "assigned", "send-to-repair") => Some("in_repair"),
        ("in_repair", "return-from-repair") => Some("in_stock"),
        ("ordered" | "in_stock" | "assigned" | "in_repair", "retire") => Some("retired"),
        _ => None,
    }
}

const DEVICE_STATUSES: [&str; 5] = ["ordered", "in_stock", "assigned", "in_repair", "retired"];
const DEVICE_ACTIONS: [&str; 6] = [
    "receive",
    "assign",
    "unassign",
    "send-to-repair",
    "return-from-repair",
    "retire",
];

fn body_for(action: &str, employee: &str) -> Value {
    match action {
        "assign" => json!({"employee_id": employee}),
        "retire" => json!({"reason": "broken"}),
        _ => json!({}),
    }
}

/// A new device brought to `status` through the API.
async fn device_in(app: &TestApp, status: &str, serial: &str, employee: &str) -> String {
    let initial = if status == "ordered" {
        "ordered"
    } else {
        "in_stock"
    };
    let id = app
        .device(serial, json!({"status": initial}))
        .await
        .expect(201)
        .id();
    let path = |action: &str| format!("/api/v1/devices/{id}/{action}");
    match status {
        "assigned" => {
            app.post(
                &path("assign"),
                &app.admin,
                json!({"employee_id": employee}),
            )
            .await
            .expect(200);
        }
        "in_repair" => {
            app.post(&path("send-to-repair"), &app.admin, json!({}))
                .await
                .expect(200);
        }
        "retired" => {
            app.post(&path("retire"), &app.admin, json!({"reason": "lost"}))
                .await
                .expect(200);
        }
        _ => {}
    }
    id
}

async fn every_device_action_from_every_status(app: TestApp) {
    let unit = app.unit("Avd 12", None).await;
    let role = app.role("Sjuksköterska").await;
    let employee = app.employee("anna@region.se", &unit, &role).await;
    let mut n = 0;
    for status in DEVICE_STATUSES {
        let allowed: Vec<&str> = DEVICE_ACTIONS
            .into_iter()
            .filter(|a| expected_device(status, a).is_some())
            .collect();
        for action in DEVICE_ACTIONS {
            n += 1;
            let id = device_in(&app, status, &format!("SN-{n}"), &employee).await;
            let answer = app
                .post(
                    &format!("/api/v1/devices/{id}/{action}"),
                    &app.admin,
                    body_for(action, &employee),
                )
                .await;
            let now = app
                .get(&format!("/api/v1/devices/{id}"), &app.admin)
                .await
                .expect(200)
                .json;
            if let Some(to) = expected_device(status, action) {
                let device = answer.expect(200).json;
                assert_eq!(device["status"], to, "{status} --{action}-->");
                assert_eq!(now["status"], to);
            } else {
                let problem = answer.expect(409).json;
                assert_eq!(problem["current_status"], status, "{status} --{action}-->");
                assert_eq!(problem["allowed_actions"], json!(allowed), "{status}");
                assert!(problem["detail"].as_str().unwrap().contains(status));
                assert_eq!(now["status"], status, "a refused action changed the device");
            }
        }
    }
}
both_stores!(every_device_action_from_every_status);

async fn assignment_shows_who_holds_the_device_and_history_tells_the_story(app: TestApp) {
    let unit = app.unit("Avd 12", None).await;
    let role = app.role("Undersköterska").await;
    let employee = app.employee("bo@region.se", &unit, &role).await;
    let id = app
        .device("SN-1", json!({"status": "ordered", "imei": imei(1)}))
        .await
        .expect(201)
        .id();
    let path = |action: &str| format!("/api/v1/devices/{id}/{action}");

    app.post(&path("receive"), &app.admin, json!({}))
        .await
        .expect(200);
    // Exactly one assignee.
    let both = app
        .post(
            &path("assign"),
            &app.admin,
            json!({"employee_id": employee, "unit_id": unit}),
        )
        .await
        .expect(422);
    assert_eq!(both.content_type, "application/problem+json");
    app.post(&path("assign"), &app.admin, json!({}))
        .await
        .expect(422);
    app.post(
        &path("assign"),
        &app.admin,
        json!({"employee_id": uuid::Uuid::now_v7()}),
    )
    .await
    .expect(422);

    let device = app
        .post(
            &path("assign"),
            &app.admin,
            json!({"employee_id": employee}),
        )
        .await
        .expect(200)
        .json;
    assert_eq!(device["assigned_to"]["employee_id"], employee.as_str());
    let device = app
        .get(&format!("/api/v1/devices/{id}"), &app.admin)
        .await
        .expect(200)
        .json;
    assert_eq!(device["assigned_to"]["employee_id"], employee.as_str());

    let device = app
        .post(&path("unassign"), &app.admin, json!({}))
        .await
        .expect(200)
        .json;
    assert!(device["assigned_to"].is_null());
    let device = app
        .post(&path("assign"), &app.admin, json!({"unit_id": unit}))
        .await
        .expect(200)
        .json;
    assert_eq!(device["assigned_to"]["unit_id"], unit.as_str());
    assert!(device["assigned_to"]["employee_id"].is_null());
    let device = app
        .post(&path("send-to-repair"), &app.admin, json!({}))
        .await
        .expect(200)
        .json;
    assert!(
        device["assigned_to"].is_null(),
        "repair ends the assignment"
    );
    app.post(&path("return-from-repair"), &app.admin, json!({}))
        .await
        .expect(200);
    let device = app
        .post(&path("retire"), &app.admin, json!({"reason": "stolen"}))
        .await
        .expect(200)
        .json;
    assert_eq!(device["retired_reason"], "stolen");
    app.post(
        &path("retire"),
        &app.admin,
        json!({"reason": "fell in the sea"}),
    )
    .await
    .expect(422);

    let history = app.get(&path("history"), &app.admin).await.expect(200).json;
    let steps: Vec<(String, Value, Value)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["action"].as_str().unwrap().to_owned(),
                i["from_status"].clone(),
                i["to_status"].clone(),
            )
        })
        .collect();
    let expect = vec![
        ("create", Value::Null, json!("ordered")),
        ("receive", json!("ordered"), json!("in_stock")),
        ("assign", json!("in_stock"), json!("assigned")),
        ("unassign", json!("assigned"), json!("in_stock")),
        ("assign", json!("in_stock"), json!("assigned")),
        ("send-to-repair", json!("assigned"), json!("in_repair")),
        ("return-from-repair", json!("in_repair"), json!("in_stock")),
        ("retire", json!("in_stock"), json!("retired")),
    ];
    let expect: Vec<(String, Value, Value)> = expect
        .into_iter()
        .map(|(a, f, t)| (a.to_owned(), f, t))
        .collect();
    assert_eq!(steps, expect);
    let first = &history["items"][0];
    assert_eq!(first["actor"], "bootstrap admin");
    assert!(
        first["at"].as_str().unwrap().ends_with('Z') || first["at"].as_str().unwrap().contains('+')
    );
}
both_stores!(assignment_shows_who_holds_the_device_and_history_tells_the_story);

async fn patch_corrects_facts_but_not_the_status(app: TestApp) {
    let id = app.device("SN-1", json!({})).await.expect(201).id();
    let device = app
        .patch(
            &format!("/api/v1/devices/{id}"),
            &app.admin,
            json!({"model": "iPhone 16", "purchase_price": "8990.00"}),
        )
        .await
        .expect(200)
        .json;
    assert_eq!(device["model"], "iPhone 16");
    assert_eq!(device["purchase_price"], "8990.00");
    app.patch(
        &format!("/api/v1/devices/{id}"),
        &app.admin,
        json!({"status": "retired"}),
    )
    .await
    .expect(422);
    let device = app
        .patch(
            &format!("/api/v1/devices/{id}"),
            &app.admin,
            json!({"purchase_price": null}),
        )
        .await
        .expect(200)
        .json;
    assert!(device["purchase_price"].is_null());
    let audit = app
        .get(&format!("/api/v1/audit?entity_id={id}"), &app.admin)
        .await
        .expect(200)
        .json;
    let update = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "update")
        .unwrap();
    assert_eq!(update["before"]["model"], "iPhone 15");
    assert_eq!(update["after"]["model"], "iPhone 16");
}
both_stores!(patch_corrects_facts_but_not_the_status);
