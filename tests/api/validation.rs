use serde_json::json;

use crate::helpers::{TestApp, both_stores, iccid, imei};

async fn device_fields_are_checked_and_bad_input_writes_nothing(app: TestApp) {
    let before = app.count("devices").await;
    let events = app.count("audit_events").await;
    // IMEI: 15 digits with a Luhn check digit.
    for bad in [
        "490154203237519",
        "49015420323751",
        "4901542032375180",
        "49015420323751X",
    ] {
        let answer = app.device("SN-X", json!({"imei": bad})).await.expect(422);
        assert_eq!(answer.content_type, "application/problem+json");
        assert_eq!(answer.error_fields(), vec!["imei"], "{bad}");
    }
    // Every bad field is reported at once.
    let answer = app
        .device(
            "",
            json!({"model": " ", "imei": "123", "purchase_price": "-1.00"}),
        )
        .await
        .expect(422);
    let mut fields = answer.error_fields();
    fields.sort();
    assert_eq!(fields, ["imei", "model", "purchase_price", "serial_number"]);
    // Shape errors name their field.
    assert_eq!(
        app.device("SN-X", json!({"kind": "fax"}))
            .await
            .expect(422)
            .error_fields(),
        ["kind"]
    );
    assert_eq!(
        app.device("SN-X", json!({"purchase_price": "1.234"}))
            .await
            .expect(422)
            .error_fields(),
        ["purchase_price"]
    );
    assert_eq!(
        app.device("SN-X", json!({"purchase_price": "abc"}))
            .await
            .expect(422)
            .error_fields(),
        ["purchase_price"]
    );
    assert_eq!(
        app.device("SN-X", json!({"purchased_on": "2026-13-01"}))
            .await
            .expect(422)
            .error_fields(),
        ["purchased_on"]
    );
    assert_eq!(
        app.device("SN-X", json!({"colour": "red"}))
            .await
            .expect(422)
            .status
            .as_u16(),
        422
    );
    assert_eq!(
        app.device("SN-X", json!({"status": "assigned"}))
            .await
            .expect(422)
            .error_fields(),
        ["status"]
    );
    assert_eq!(
        app.device(
            "SN-X",
            json!({"purchased_on": "2026-05-01", "warranty_ends_on": "2026-04-01"})
        )
        .await
        .expect(422)
        .error_fields(),
        ["warranty_ends_on"]
    );
    assert_eq!(
        app.device("SN-X", json!({"unit_id": uuid::Uuid::now_v7()}))
            .await
            .expect(422)
            .error_fields(),
        ["unit_id"]
    );
    let missing = app
        .post("/api/v1/devices", &app.admin, json!({"kind": "phone"}))
        .await
        .expect(422);
    assert_eq!(missing.error_fields(), ["manufacturer"]);
    // Malformed JSON and a wrong content type are 400s.
    let raw = app
        .client
        .post(format!("{}/api/v1/devices", app.base))
        .bearer_auth(&app.admin)
        .header("content-type", "application/json")
        .body("{\"kind\":")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    let raw = app
        .client
        .post(format!("{}/api/v1/devices", app.base))
        .bearer_auth(&app.admin)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 400);
    assert_eq!(
        app.count("devices").await,
        before,
        "a refused request created a device"
    );
    assert_eq!(
        app.count("audit_events").await,
        events,
        "a refused request left an audit event"
    );

    // Good values, normalised.
    let device = app
        .device("SN-1", json!({"imei": "35 209900 176148 1", "purchase_price": 149.5, "purchased_on": "2026-01-15"}))
        .await
        .expect(201)
        .json;
    assert_eq!(device["imei"], "352099001761481");
    assert_eq!(device["purchase_price"], "149.50");
    assert_eq!(device["status"], "in_stock");
    let device = app
        .device(
            "SN-2",
            json!({"purchase_price": "4 995,00", "status": "ordered"}),
        )
        .await
        .expect(201)
        .json;
    assert_eq!(device["purchase_price"], "4995.00");
    assert_eq!(device["status"], "ordered");
    let device = app
        .device("SN-3", json!({"purchase_price": 12}))
        .await
        .expect(201)
        .json;
    assert_eq!(device["purchase_price"], "12.00");
}
both_stores!(device_fields_are_checked_and_bad_input_writes_nothing);

async fn serial_numbers_and_imeis_are_unique_per_tenant(app: TestApp) {
    app.device("SN-1", json!({"imei": imei(1)}))
        .await
        .expect(201);
    let dup = app.device("SN-1", json!({})).await.expect(409);
    assert!(
        dup.json["detail"]
            .as_str()
            .unwrap()
            .contains("serial_number"),
        "{}",
        dup.text
    );
    let dup = app
        .device("SN-2", json!({"imei": imei(1)}))
        .await
        .expect(409);
    assert!(
        dup.json["detail"].as_str().unwrap().contains("imei"),
        "{}",
        dup.text
    );
    // Another tenant may hold the same serial and IMEI.
    let (_, other) = app.other_tenant().await;
    let body = json!({"kind": "tablet", "manufacturer": "Samsung", "model": "Tab", "serial_number": "SN-1",
        "imei": imei(1), "ownership": "organization"});
    app.post("/api/v1/devices", &other, body).await.expect(201);
    // A patch onto a taken serial is a conflict too.
    let id = app.device("SN-3", json!({})).await.expect(201).id();
    app.patch(
        &format!("/api/v1/devices/{id}"),
        &app.admin,
        json!({"serial_number": "SN-1"}),
    )
    .await
    .expect(409);
}
both_stores!(serial_numbers_and_imeis_are_unique_per_tenant);

async fn subscription_fields_are_checked(app: TestApp) {
    assert_eq!(
        app.subscription("12", json!({}))
            .await
            .expect(422)
            .error_fields(),
        ["msisdn"]
    );
    assert_eq!(
        app.subscription("not a number", json!({}))
            .await
            .expect(422)
            .error_fields(),
        ["msisdn"]
    );
    let bad_iccid = format!("{}1", &iccid(1)[..18]);
    let bad_iccid = if bad_iccid == iccid(1) {
        format!("{}2", &iccid(1)[..18])
    } else {
        bad_iccid
    };
    assert_eq!(
        app.subscription("0701234567", json!({"iccid": bad_iccid}))
            .await
            .expect(422)
            .error_fields(),
        ["iccid"]
    );
    assert_eq!(
        app.subscription("0701234567", json!({"iccid": "8946"}))
            .await
            .expect(422)
            .error_fields(),
        ["iccid"]
    );
    assert_eq!(
        app.subscription("0701234567", json!({"extension": "12a"}))
            .await
            .expect(422)
            .error_fields(),
        ["extension"]
    );
    assert_eq!(
        app.subscription("0701234567", json!({"monthly_cost": "-5"}))
            .await
            .expect(422)
            .error_fields(),
        ["monthly_cost"]
    );
    assert_eq!(
        app.subscription("0701234567", json!({"status": "terminated"}))
            .await
            .expect(422)
            .error_fields(),
        ["status"]
    );
    assert_eq!(app.count("subscriptions").await, 0);
    let s = app
        .subscription(
            "0701234567",
            json!({"iccid": iccid(1), "extension": "45 21", "monthly_cost": 99.9}),
        )
        .await
        .expect(201)
        .json;
    assert_eq!(s["monthly_cost"], "99.90");
    assert_eq!(s["extension"], "4521");
    assert_eq!(s["iccid"], iccid(1));
}
both_stores!(subscription_fields_are_checked);

async fn employee_fields_are_checked(app: TestApp) {
    let unit = app.unit("Avd 1", None).await;
    let role = app.role("Undersköterska").await;
    let body = |extra: serde_json::Value| {
        let mut b = json!({"name": "Eva", "email": "eva@region.se", "unit_id": unit, "role_id": role, "employment_type": "permanent"});
        for (k, v) in extra.as_object().unwrap() {
            b[k] = v.clone();
        }
        b
    };
    let post = |b| app.post("/api/v1/employees", &app.admin, b);
    assert_eq!(
        post(body(json!({"employment_type": "hired"})))
            .await
            .expect(422)
            .error_fields(),
        ["employment_ends_on"]
    );
    assert_eq!(
        post(body(json!({"employment_type": "temporary"})))
            .await
            .expect(422)
            .error_fields(),
        ["employment_ends_on"]
    );
    assert_eq!(
        post(body(json!({"employment_type": "consultant"})))
            .await
            .expect(422)
            .error_fields(),
        ["employment_type"]
    );
    assert_eq!(
        post(body(json!({"email": "eva.region.se"})))
            .await
            .expect(422)
            .error_fields(),
        ["email"]
    );
    assert_eq!(
        post(body(json!({"unit_id": uuid::Uuid::now_v7()})))
            .await
            .expect(422)
            .error_fields(),
        ["unit_id"]
    );
    assert_eq!(
        post(body(json!({"role_id": uuid::Uuid::now_v7()})))
            .await
            .expect(422)
            .error_fields(),
        ["role_id"]
    );
    assert_eq!(app.count("employees").await, 0);
    let e = post(body(json!({"employment_type": "hired", "employment_ends_on": "2027-01-31", "email": "Eva@Region.se"})))
        .await
        .expect(201)
        .json;
    assert_eq!(e["email"], "eva@region.se");
    assert_eq!(e["employment_ends_on"], "2027-01-31");
    post(body(json!({}))).await.expect(409);
    // Clearing the end date of hired staff is refused; making them permanent allows it.
    let id = e["id"].as_str().unwrap();
    app.patch(
        &format!("/api/v1/employees/{id}"),
        &app.admin,
        json!({"employment_ends_on": null}),
    )
    .await
    .expect(422);
    let e = app
        .patch(
            &format!("/api/v1/employees/{id}"),
            &app.admin,
            json!({"employment_ends_on": null, "employment_type": "permanent"}),
        )
        .await
        .expect(200)
        .json;
    assert!(e["employment_ends_on"].is_null());
}
both_stores!(employee_fields_are_checked);
