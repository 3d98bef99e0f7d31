//! Follow-up reports, with figures worked out by hand.
use chrono::{Duration, Utc};
use entities::push_registration;
use reqwest::Method;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, apns_token, both_stores, mobile},
    notices::{add_shift, always_working, employee_token, phone, quiet_policy, send},
};

async fn assigned_device(app: &TestApp, serial: &str, extra: Value, to: Value) -> String {
    let id = app.device(serial, extra).await.expect(201).id();
    app.post(&format!("/api/v1/devices/{id}/assign"), &app.admin, to)
        .await
        .expect(200);
    id
}

async fn subscription(app: &TestApp, n: u64, cost: &str, links: Value) -> String {
    let id = app
        .subscription(&mobile(n), json!({"monthly_cost": cost}))
        .await
        .expect(201)
        .id();
    if links != json!({}) {
        app.post(
            &format!("/api/v1/subscriptions/{id}/assign"),
            &app.admin,
            links,
        )
        .await
        .expect(200);
    }
    id
}

async fn use_waste_and_returns_are_reported_per_unit(app: TestApp) {
    let u1 = app.unit("Avd 1", None).await;
    let u2 = app.unit("Avd 2", None).await;
    let role = app.role("Undersköterska").await;
    let e1 = app.employee("e1@r.se", &u1, &role).await;
    let e2 = app.employee("e2@r.se", &u1, &role).await;
    let e3 = app.employee("e3@r.se", &u2, &role).await;
    let e4 = app.employee("e4@r.se", &u2, &role).await;
    let soon = (Utc::now() + Duration::days(10)).date_naive();
    app.patch(
        &format!("/api/v1/employees/{e3}"),
        &app.admin,
        json!({"employment_type": "hired", "employment_ends_on": soon}),
    )
    .await
    .expect(200);
    app.patch(
        &format!("/api/v1/employees/{e4}"),
        &app.admin,
        json!({"employment_type": "temporary", "employment_ends_on": "2020-01-31"}),
    )
    .await
    .expect(200);
    let d1 = assigned_device(&app, "D1", json!({}), json!({"employee_id": e1})).await;
    let d2 = assigned_device(&app, "D2", json!({}), json!({"employee_id": e2})).await;
    let d3 = assigned_device(&app, "D3", json!({}), json!({"unit_id": u2})).await;
    assigned_device(
        &app,
        "PRIV",
        json!({"ownership": "private"}),
        json!({"employee_id": e1}),
    )
    .await;
    let d6 = assigned_device(&app, "D6", json!({}), json!({"employee_id": e3})).await;
    let d5 = app.device("D5", json!({})).await.expect(201).id();
    // e1's work phone is in use; e2's was last seen 40 days ago.
    let t1 = employee_token(&app, &e1).await;
    app.post(
        "/api/v1/me/push-registrations",
        &t1,
        json!({"provider": "apns", "token": apns_token("p1"), "device_id": d1}),
    )
    .await
    .expect(201);
    let t2 = employee_token(&app, &e2).await;
    app.post(
        "/api/v1/me/push-registrations",
        &t2,
        json!({"provider": "apns", "token": apns_token("p2"), "device_id": d2}),
    )
    .await
    .expect(201);
    push_registration::Entity::update_many()
        .col_expr(
            push_registration::Column::LastSeenAt,
            Expr::value(Utc::now() - Duration::days(40)),
        )
        .filter(push_registration::Column::Token.eq(apns_token("p2")))
        .exec(&app.db)
        .await
        .unwrap();
    subscription(&app, 1, "149.00", json!({"device_id": d1})).await;
    subscription(&app, 2, "99.00", json!({"device_id": d2})).await;
    subscription(&app, 3, "50.00", json!({"device_id": d3})).await;
    let s4 = subscription(&app, 4, "200.00", json!({})).await;
    let s5 = subscription(&app, 5, "75.00", json!({"device_id": d5})).await;
    let s6 = subscription(&app, 6, "60.00", json!({"employee_id": e4})).await;
    let s7 = subscription(&app, 7, "30.00", json!({})).await;
    app.post(
        &format!("/api/v1/subscriptions/{s7}/suspend"),
        &app.admin,
        json!({}),
    )
    .await
    .expect(200);

    let use_ = app
        .get("/api/v1/reports/utilization?days=30", &app.admin)
        .await
        .expect(200)
        .json;
    let rows: Vec<Value> = use_["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            json!([
                r["unit_name"],
                r["assigned_devices"],
                r["active_devices"],
                r["utilization_percent"],
                r["annual_cost"],
                r["cost_per_active_device"]
            ])
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            // 12 x (149 + 99); one of two in use.
            json!(["Avd 1", 2, 1, 50.0, "2976.00", "2976.00"]),
            // The unit's shared device and e3's; neither in use; 12 x 50.
            json!(["Avd 2", 2, 0, 0.0, "600.00", null]),
        ]
    );
    let longer = app
        .get("/api/v1/reports/utilization?days=60", &app.admin)
        .await
        .expect(200)
        .json;
    assert_eq!(
        longer["rows"][0]["active_devices"], 2,
        "e2's phone was seen 40 days ago"
    );
    app.get("/api/v1/reports/utilization?days=0", &app.admin)
        .await
        .expect(422);

    let unused = app
        .get("/api/v1/reports/unused-subscriptions", &app.admin)
        .await
        .expect(200)
        .json;
    let reasons: Vec<(String, String)> = unused["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["subscription_id"].as_str().unwrap().to_owned(),
                r["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            (s4.clone(), "unassigned".to_owned()),
            (s5, "device_not_in_use".to_owned()),
            (s6.clone(), "employment_ended".to_owned()),
        ]
    );
    assert_eq!(
        unused["totals"],
        json!({"subscriptions": 3, "monthly_cost": "335.00", "annual_saving": "4020.00"})
    );
    let csv = app
        .get(
            "/api/v1/reports/unused-subscriptions?format=csv",
            &app.admin,
        )
        .await
        .expect(200)
        .text;
    let last = csv.lines().last().unwrap();
    assert_eq!(last, ";Totalt;335,00;;;;4020,00");

    let returns = app
        .get("/api/v1/reports/returns-due?days=30", &app.admin)
        .await
        .expect(200)
        .json;
    let rows: Vec<Value> = returns["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            json!([
                r["employee_id"],
                r["overdue"],
                r["device_id"],
                r["subscription_id"]
            ])
        })
        .collect();
    assert_eq!(
        rows,
        vec![json!([e4, true, null, s6]), json!([e3, false, d6, null])]
    );
    let soon_only = app
        .get("/api/v1/reports/returns-due?days=5", &app.admin)
        .await
        .expect(200)
        .json;
    assert_eq!(
        soon_only["rows"].as_array().unwrap().len(),
        1,
        "only the overdue one"
    );

    // A manager of Avd 1 sees Avd 1; employees see no reports.
    let manager = app
        .token(json!({"name": "chef", "role": "manager", "unit_ids": [u1]}))
        .await;
    let theirs = app
        .get("/api/v1/reports/utilization", &manager)
        .await
        .expect(200)
        .json;
    assert_eq!(theirs["rows"].as_array().unwrap().len(), 1);
    let theirs = app
        .get("/api/v1/reports/unused-subscriptions", &manager)
        .await
        .expect(200)
        .json;
    assert_eq!(theirs["rows"], json!([]), "nothing wasted in Avd 1");
    let avd2 = app
        .token(json!({"name": "chef 2", "role": "manager", "unit_ids": [u2]}))
        .await;
    let theirs = app
        .get("/api/v1/reports/unused-subscriptions", &avd2)
        .await
        .expect(200)
        .json;
    assert_eq!(
        theirs["rows"][0]["subscription_id"], s6,
        "e4 of Avd 2 has left; s4 is no one's and D5 is in no unit"
    );
    assert_eq!(theirs["totals"]["subscriptions"], 1);
    app.get("/api/v1/reports/returns-due", &t1)
        .await
        .expect(403);
    // XLSX: a workbook that reads back.
    let xlsx = app
        .client
        .get(format!(
            "{}/api/v1/reports/utilization?format=xlsx",
            app.base
        ))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    let sheet = book.worksheet_range("Användning").unwrap();
    assert_eq!(sheet.get_value((1, 5)), Some(&Data::Float(2976.0)));
    assert_eq!(sheet.get_value((1, 4)), Some(&Data::Float(50.0)));
    dashboard_counts_what_the_reports_list(&app).await;

    // Reports and the dashboard are kept between looks, but a write shows at once.
    app.post(
        &format!("/api/v1/subscriptions/{s4}/terminate"),
        &app.admin,
        json!({}),
    )
    .await
    .expect(200);
    let unused = app
        .get("/api/v1/reports/unused-subscriptions", &app.admin)
        .await
        .expect(200)
        .json;
    assert_eq!(unused["totals"]["subscriptions"], 2, "s4 is terminated");
    dashboard_counts_what_the_reports_list(&app).await;
}
both_stores!(use_waste_and_returns_are_reported_per_unit);

/// The console's dashboard counts in the database what the reports list row by row:
/// the two must agree.
async fn dashboard_counts_what_the_reports_list(app: &TestApp) {
    let rows = |json: &serde_json::Value| json["rows"].as_array().unwrap().len().to_string();
    let returns = rows(
        &app.get("/api/v1/reports/returns-due", &app.admin)
            .await
            .expect(200)
            .json,
    );
    let unused = rows(
        &app.get("/api/v1/reports/unused-subscriptions", &app.admin)
            .await
            .expect(200)
            .json,
    );
    let expiring = rows(
        &app.get("/api/v1/reports/contracts-expiring", &app.admin)
            .await
            .expect(200)
            .json,
    );
    assert_ne!(returns, "0", "the scenario has returns due");
    assert_ne!(unused, "0", "the scenario has unused subscriptions");
    let browser = crate::console::Browser::signed_in(app, &app.admin).await;
    let html = browser.get("/console").await.html;
    assert!(
        html.contains(&format!("id=\"dash-returns\">{returns}<")),
        "{html}"
    );
    assert!(html.contains(&format!("id=\"dash-unused\">{unused}<")));
    assert!(html.contains(&format!("id=\"dash-expiring\">{expiring}<")));
}

async fn framework_agreements_are_named_and_their_notice_dates_reported(app: TestApp) {
    let today = Utc::now().date_naive();
    let contract = |supplier: &str, ends_in: i64, notice: i32| {
        json!({"supplier": supplier, "kind": "devices", "reference": "Adda 2024",
            "starts_on": today - Duration::days(700), "ends_on": today + Duration::days(ends_in),
            "notice_period_days": notice})
    };
    let soon = app
        .post("/api/v1/contracts", &app.admin, contract("Atea", 100, 90))
        .await
        .expect(201)
        .json;
    assert_eq!(soon["notice_date"], json!(today + Duration::days(10)));
    app.post("/api/v1/contracts", &app.admin, contract("Telia", 400, 30))
        .await
        .expect(201);
    app.post("/api/v1/contracts", &app.admin, contract("Gammalt", -1, 30))
        .await
        .expect(201);
    let bad = app
        .post("/api/v1/contracts", &app.admin,
            json!({"supplier": "", "kind": "devices", "starts_on": "2026-01-01", "ends_on": "2025-01-01", "notice_period_days": -3}))
        .await
        .expect(422);
    assert_eq!(
        bad.error_fields(),
        vec!["supplier", "ends_on", "notice_period_days"]
    );

    let id = soon["id"].as_str().unwrap();
    let device = app
        .device("K-1", json!({"contract_id": id}))
        .await
        .expect(201)
        .json;
    assert_eq!(device["contract_id"], id);
    let sub = app
        .subscription(&mobile(9), json!({}))
        .await
        .expect(201)
        .id();
    app.patch(
        &format!("/api/v1/subscriptions/{sub}"),
        &app.admin,
        json!({"contract_id": uuid::Uuid::now_v7()}),
    )
    .await
    .expect(422);
    app.patch(
        &format!("/api/v1/subscriptions/{sub}"),
        &app.admin,
        json!({"contract_id": id}),
    )
    .await
    .expect(200);

    let expiring = app
        .get("/api/v1/reports/contracts-expiring", &app.admin)
        .await
        .expect(200)
        .json;
    let rows = expiring["rows"].as_array().unwrap();
    assert_eq!(
        rows.len(),
        1,
        "Telia's notice date is a year away; the old one has ended"
    );
    assert_eq!(
        (
            rows[0]["supplier"].as_str(),
            rows[0]["days_to_notice"].as_i64()
        ),
        (Some("Atea"), Some(10))
    );
    assert_eq!(
        (
            rows[0]["devices"].as_i64(),
            rows[0]["subscriptions"].as_i64()
        ),
        (Some(1), Some(1))
    );
    let year = app
        .get("/api/v1/reports/contracts-expiring?days=400", &app.admin)
        .await
        .expect(200)
        .json;
    assert_eq!(year["rows"].as_array().unwrap().len(), 2);
    app.call(
        Method::DELETE,
        &format!("/api/v1/contracts/{id}"),
        Some(&app.admin),
        None,
    )
    .await
    .expect(409);
    let (_, other) = app.other_tenant().await;
    app.get(&format!("/api/v1/contracts/{id}"), &other)
        .await
        .expect(404);
    let browser = crate::console::Browser::signed_in(&app, &app.admin).await;
    let html = browser.get("/console").await.html;
    let expiring = app
        .get("/api/v1/reports/contracts-expiring", &app.admin)
        .await
        .json["rows"]
        .as_array()
        .unwrap()
        .len();
    assert!(expiring > 0);
    assert!(html.contains(&format!("id=\"dash-expiring\">{expiring}<")));
}
both_stores!(framework_agreements_are_named_and_their_notice_dates_reported);

async fn after_hours_contacts_and_schedule_gaps_are_counted(app: TestApp) {
    quiet_policy(&app).await;
    let ward = app.unit("Akuten", None).await;
    let elsewhere = app.unit("Avd 9", None).await;
    let role = app.role("Sjuksköterska").await;
    let rested = app.employee("a-rested@r.se", &ward, &role).await;
    let on_call = app.employee("b-oncall@r.se", &ward, &role).await;
    let working = app.employee("c-working@r.se", &ward, &role).await;
    let unplanned = app.employee("d-unplanned@r.se", &ward, &role).await;
    for who in [&rested, &on_call, &unplanned] {
        app.patch(
            &format!("/api/v1/employees/{who}"),
            &app.admin,
            json!({"schedule_mode": "shifts"}),
        )
        .await
        .expect(200);
    }
    // A's shift ended two hours ago: a call now falls in her daily rest.
    add_shift(&app, &rested, Utc::now() - Duration::hours(10)).await;
    app.post(
        &format!("/api/v1/employees/{on_call}/shifts"),
        &app.admin,
        json!({"shifts": [{"starts_at": Utc::now() - Duration::hours(1),
            "ends_at": Utc::now() + Duration::hours(5), "kind": "on_call"}]}),
    )
    .await
    .expect(201);
    always_working(&app, &working).await;
    for who in [&rested, &on_call, &working, &unplanned] {
        phone(&app, who).await;
    }
    let sender = app
        .token(json!({"name": "vakthavande", "role": "manager", "unit_ids": [ward], "can_send_urgent": true}))
        .await;
    send(
        &app,
        &sender,
        json!({"title": "Inkallning", "body": "Kom in", "priority": "urgent",
        "urgent_reason": "Storlarm", "audience": {"employee_ids": [rested, on_call, working]}}),
    )
    .await
    .expect(201);
    send(
        &app,
        &sender,
        json!({"title": "Info", "body": "Nytt schema", "priority": "info",
        "audience": {"employee_ids": [rested, unplanned]}}),
    )
    .await
    .expect(201);

    let report = app
        .get("/api/v1/reports/after-hours", &app.admin)
        .await
        .expect(200)
        .json;
    let counts = json!({"notices": 2, "held_deliveries": 2, "urgent_on_call": 1,
        "urgent_after_hours": 1, "urgent_in_daily_rest": 1});
    assert_eq!(report["totals"], counts);
    let mut sender_row = counts.clone();
    sender_row["sender"] = json!("vakthavande");
    sender_row["reasons"] = json!(["Storlarm"]);
    assert_eq!(report["by_sender"], json!([sender_row]));
    assert_eq!(report["by_unit"][0]["unit_name"], "Akuten");
    assert!(
        !report.to_string().contains(&rested),
        "no individual is named"
    );
    let other_manager = app
        .token(json!({"name": "chef 9", "role": "manager", "unit_ids": [elsewhere]}))
        .await;
    let theirs = app
        .get("/api/v1/reports/after-hours", &other_manager)
        .await
        .expect(200)
        .json;
    assert_eq!(theirs["totals"]["notices"], 0);
    let past = app
        .get(
            &format!(
                "/api/v1/reports/after-hours?to={}",
                (Utc::now() - Duration::days(1))
                    .to_rfc3339()
                    .replace('+', "%2B")
            ),
            &app.admin,
        )
        .await
        .expect(200)
        .json;
    assert_eq!(past["totals"]["notices"], 0);

    let gaps = app
        .get("/api/v1/reports/schedule-gaps?days=7", &app.admin)
        .await
        .expect(200)
        .json;
    let rows: Vec<Value> = gaps["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            json!([
                r["employee_id"],
                r["held_deliveries"],
                r["last_shift_ends_at"].is_string()
            ])
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            json!([rested, 1, true]),
            json!([on_call, 0, false]),
            json!([unplanned, 1, false]),
        ],
        "on-call shifts are no working time"
    );
}
both_stores!(after_hours_contacts_and_schedule_gaps_are_counted);
