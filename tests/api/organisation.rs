use serde_json::json;

use crate::helpers::{TestApp, both_stores};

async fn units_form_a_tree_without_loops(app: TestApp) {
    let region = app.unit("Medicinkliniken", None).await;
    let ward = app.unit("Avd 12", Some(&region)).await;
    let room = app.unit("Avd 12 natt", Some(&ward)).await;
    let answer = app
        .post(
            "/api/v1/units",
            &app.admin,
            json!({"name": "X", "parent_id": uuid::Uuid::now_v7()}),
        )
        .await
        .expect(422);
    assert_eq!(answer.error_fields(), ["parent_id"]);
    // Moving a unit under its own subunit would make a loop.
    let answer = app
        .patch(
            &format!("/api/v1/units/{region}"),
            &app.admin,
            json!({"parent_id": room}),
        )
        .await
        .expect(422);
    assert_eq!(answer.error_fields(), ["parent_id"]);
    app.patch(
        &format!("/api/v1/units/{region}"),
        &app.admin,
        json!({"parent_id": region}),
    )
    .await
    .expect(422);
    let unit = app
        .patch(
            &format!("/api/v1/units/{ward}"),
            &app.admin,
            json!({"cost_center": "K1234", "name": "Avdelning 12"}),
        )
        .await
        .expect(200)
        .json;
    assert_eq!(unit["cost_center"], "K1234");
    assert_eq!(unit["parent_id"], region.as_str());
    let unit = app
        .patch(
            &format!("/api/v1/units/{ward}"),
            &app.admin,
            json!({"parent_id": null}),
        )
        .await
        .expect(200)
        .json;
    assert!(unit["parent_id"].is_null());
    let children = app
        .get(&format!("/api/v1/units?parent_id={ward}"), &app.admin)
        .await
        .expect(200)
        .json;
    assert_eq!(children["items"].as_array().unwrap().len(), 1);
    assert_eq!(children["items"][0]["id"], room.as_str());
}
both_stores!(units_form_a_tree_without_loops);

async fn role_names_are_unique(app: TestApp) {
    app.role("Sjuksköterska").await;
    let dup = app
        .post(
            "/api/v1/roles",
            &app.admin,
            json!({"name": "Sjuksköterska"}),
        )
        .await
        .expect(409);
    assert!(
        dup.json["detail"]
            .as_str()
            .unwrap()
            .contains("role category")
    );
    app.post("/api/v1/roles", &app.admin, json!({"name": ""}))
        .await
        .expect(422);
}
both_stores!(role_names_are_unique);

async fn tokens_are_checked_shown_once_and_revocable(app: TestApp) {
    let unit = app.unit("Avd 1", None).await;
    let role = app.role("Läkare").await;
    let employee = app.employee("f@region.se", &unit, &role).await;
    let post = |b| app.post("/api/v1/tokens", &app.admin, b);
    assert_eq!(
        post(json!({"name": "e", "role": "employee"}))
            .await
            .expect(422)
            .error_fields(),
        ["employee_id"]
    );
    assert_eq!(
        post(json!({"name": "m", "role": "manager"}))
            .await
            .expect(422)
            .error_fields(),
        ["unit_ids"]
    );
    assert_eq!(
        post(json!({"name": "m", "role": "manager", "unit_ids": [uuid::Uuid::now_v7()]}))
            .await
            .expect(422)
            .error_fields(),
        ["unit_ids"]
    );
    // An admin token is nobody's: tied to a person it would act as them too.
    let tokens_before = app.count("api_tokens").await;
    assert_eq!(
        post(json!({"name": "a", "role": "admin", "employee_id": employee}))
            .await
            .expect(422)
            .error_fields(),
        ["employee_id"]
    );
    assert_eq!(app.count("api_tokens").await, tokens_before);
    assert_eq!(
        post(json!({"name": "x", "role": "root"}))
            .await
            .expect(422)
            .error_fields(),
        ["role"]
    );
    let issued = post(json!({"name": "Fia's phone", "role": "employee", "employee_id": employee}))
        .await
        .expect(201)
        .json;
    let secret = issued["token"].as_str().unwrap().to_owned();
    let id = issued["id"].as_str().unwrap().to_owned();
    let me = app.get("/api/v1/me", &secret).await.expect(200).json;
    assert_eq!(me["id"], employee.as_str());
    // Listing never shows a secret, and the store holds only a hash.
    let list = app.get("/api/v1/tokens", &app.admin).await.expect(200);
    assert!(!list.text.contains(&secret));
    assert!(!list.text.contains("secret_hash"));
    let audit = app
        .get("/api/v1/audit?entity_type=token", &app.admin)
        .await
        .expect(200);
    assert!(
        !audit.text.contains(&secret),
        "a secret reached the audit trail"
    );
    // Revoked: refused at once.
    app.call(
        reqwest::Method::DELETE,
        &format!("/api/v1/tokens/{id}"),
        Some(&app.admin),
        None,
    )
    .await
    .expect(204);
    app.get("/api/v1/me", &secret).await.expect(401);
}
both_stores!(tokens_are_checked_shown_once_and_revocable);

async fn me_shows_my_devices_and_numbers(app: TestApp) {
    let unit = app.unit("Avd 1", None).await;
    let role = app.role("Läkare").await;
    let me = app.employee("g@region.se", &unit, &role).await;
    let other = app.employee("h@region.se", &unit, &role).await;
    let token = app
        .token(json!({"name": "g", "role": "employee", "employee_id": me}))
        .await;
    let mine = app.device("SN-1", json!({})).await.expect(201).id();
    let theirs = app.device("SN-2", json!({})).await.expect(201).id();
    app.post(
        &format!("/api/v1/devices/{mine}/assign"),
        &app.admin,
        json!({"employee_id": me}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/devices/{theirs}/assign"),
        &app.admin,
        json!({"employee_id": other}),
    )
    .await
    .expect(200);
    let sub = app
        .subscription("0701112233", json!({}))
        .await
        .expect(201)
        .id();
    app.post(
        &format!("/api/v1/subscriptions/{sub}/assign"),
        &app.admin,
        json!({"employee_id": me}),
    )
    .await
    .expect(200);
    let devices = app.get("/api/v1/me/devices", &token).await.expect(200).json;
    let ids: Vec<&str> = devices["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [mine.as_str()]);
    let subs = app
        .get("/api/v1/me/subscriptions", &token)
        .await
        .expect(200)
        .json;
    assert_eq!(subs["items"][0]["msisdn"], "+46701112233");
    // An admin token that names no employee has no /me.
    app.get("/api/v1/me", &app.admin).await.expect(404);
}
both_stores!(me_shows_my_devices_and_numbers);
