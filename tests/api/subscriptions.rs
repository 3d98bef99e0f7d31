use serde_json::{Value, json};

use crate::helpers::{TestApp, both_stores, iccid, mobile};

fn expected(status: &str, action: &str) -> Option<&'static str> {
    match (status, action) {
        ("ordered", "activate") => Some("active"),
        ("active", "suspend") => Some("suspended"),
        ("suspended", "resume") => Some("active"),
        ("ordered" | "active" | "suspended", "terminate") => Some("terminated"),
        ("ordered", "assign") => Some("ordered"),
        ("active", "assign") => Some("active"),
        ("suspended", "assign") => Some("suspended"),
        _ => None,
    }
}

const STATUSES: [&str; 4] = ["ordered", "active", "suspended", "terminated"];
const ACTIONS: [&str; 5] = ["activate", "suspend", "resume", "terminate", "assign"];

async fn every_subscription_action_from_every_status(app: TestApp) {
    let unit = app.unit("Avd 3", None).await;
    let role = app.role("Läkare").await;
    let employee = app.employee("cecilia@region.se", &unit, &role).await;
    let mut n = 0;
    for status in STATUSES {
        let allowed: Vec<&str> = ACTIONS
            .into_iter()
            .filter(|a| expected(status, a).is_some())
            .collect();
        for action in ACTIONS {
            n += 1;
            let initial = if status == "ordered" {
                "ordered"
            } else {
                "active"
            };
            let id = app
                .subscription(&mobile(n), json!({"status": initial}))
                .await
                .expect(201)
                .id();
            let path = |a: &str| format!("/api/v1/subscriptions/{id}/{a}");
            match status {
                "suspended" => {
                    app.post(&path("suspend"), &app.admin, json!({}))
                        .await
                        .expect(200);
                }
                "terminated" => {
                    app.post(&path("terminate"), &app.admin, json!({}))
                        .await
                        .expect(200);
                }
                _ => {}
            }
            let body = if action == "assign" {
                json!({"employee_id": employee})
            } else {
                json!({})
            };
            let answer = app.post(&path(action), &app.admin, body).await;
            if let Some(to) = expected(status, action) {
                let s = answer.expect(200).json;
                assert_eq!(s["status"], to, "{status} --{action}-->");
                if action == "assign" {
                    assert_eq!(s["employee_id"], employee.as_str());
                }
            } else {
                let problem = answer.expect(409).json;
                assert_eq!(problem["current_status"], status);
                assert_eq!(problem["allowed_actions"], json!(allowed));
            }
        }
    }
}
both_stores!(every_subscription_action_from_every_status);

async fn numbers_are_stored_as_e164_and_freed_by_termination(app: TestApp) {
    let s = app
        .subscription(
            "070-123 45 67",
            json!({"iccid": iccid(7), "extension": "4521"}),
        )
        .await
        .expect(201)
        .json;
    assert_eq!(s["msisdn"], "+46701234567");
    assert_eq!(s["monthly_cost"], "149.00");
    assert_eq!(s["status"], "active");
    // The same number in another form is the same number.
    let dup = app
        .subscription("+46 70 123 45 67", json!({}))
        .await
        .expect(409);
    assert!(dup.json["detail"].as_str().unwrap().contains("msisdn"));
    let id = s["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/subscriptions/{id}/terminate"),
        &app.admin,
        json!({}),
    )
    .await
    .expect(200);
    // A terminated subscription frees its number (and SIM) for a new one.
    app.subscription("0701234567", json!({"iccid": iccid(7)}))
        .await
        .expect(201);
}
both_stores!(numbers_are_stored_as_e164_and_freed_by_termination);

async fn assign_links_device_and_employee_and_null_removes_a_link(app: TestApp) {
    let unit = app.unit("Avd 3", None).await;
    let role = app.role("Läkare").await;
    let employee = app.employee("d@region.se", &unit, &role).await;
    let device = app.device("SN-9", json!({})).await.expect(201).id();
    let id = app
        .subscription(&mobile(1), json!({}))
        .await
        .expect(201)
        .id();
    let path = format!("/api/v1/subscriptions/{id}/assign");
    let s = app
        .post(
            &path,
            &app.admin,
            json!({"device_id": device, "employee_id": employee}),
        )
        .await
        .expect(200)
        .json;
    assert_eq!(
        (s["device_id"].as_str(), s["employee_id"].as_str()),
        (Some(device.as_str()), Some(employee.as_str()))
    );
    let s = app
        .post(&path, &app.admin, json!({"device_id": null}))
        .await
        .expect(200)
        .json;
    assert!(s["device_id"].is_null());
    assert_eq!(s["employee_id"], employee.as_str());
    app.post(&path, &app.admin, json!({})).await.expect(422);
    app.post(
        &path,
        &app.admin,
        json!({"device_id": uuid::Uuid::now_v7()}),
    )
    .await
    .expect(422);
    // A retired device takes no subscription.
    app.post(
        &format!("/api/v1/devices/{device}/retire"),
        &app.admin,
        json!({"reason": "recycled"}),
    )
    .await
    .expect(200);
    let refused = app
        .post(&path, &app.admin, json!({"device_id": device}))
        .await
        .expect(422);
    assert_eq!(refused.error_fields(), vec!["device_id"]);

    let history = app
        .get(&format!("/api/v1/subscriptions/{id}/history"), &app.admin)
        .await
        .expect(200)
        .json;
    let actions: Vec<&str> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["create", "assign", "assign"]);
    let _: Value = history;
}
both_stores!(assign_links_device_and_employee_and_null_removes_a_link);
