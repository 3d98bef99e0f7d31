//! Notices from the sender's side: preview, send, audiences, idempotency, follow-up,
//! cancel — and the employee's side: push registrations, inbox, acknowledgement.
use chrono::{DateTime, Duration, SubsecRound, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Answer, TestApp, apns_token, both_stores};

/// No working time at tenant level: only what a test gives someone counts.
pub async fn quiet_policy(app: &TestApp) {
    app.call(
        Method::PUT,
        "/api/v1/policy",
        Some(&app.admin),
        Some(json!({"time_zone": "Europe/Stockholm", "working_hours": {}})),
    )
    .await
    .expect(200);
}

/// Working time around the clock, every day.
pub async fn always_working(app: &TestApp, employee: &str) {
    let day = json!([{"start": "00:00", "end": "24:00"}]);
    let week =
        json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day});
    app.call(
        Method::PUT,
        &format!("/api/v1/employees/{employee}/working-hours"),
        Some(&app.admin),
        Some(json!({"working_hours": week})),
    )
    .await
    .expect(200);
}

/// A shift worker whose one shift starts `from_now` and lasts eight hours.
pub async fn shift_worker(app: &TestApp, employee: &str, from_now: Duration) -> DateTime<Utc> {
    app.patch(
        &format!("/api/v1/employees/{employee}"),
        &app.admin,
        json!({"schedule_mode": "shifts"}),
    )
    .await
    .expect(200);
    let start = (Utc::now() + from_now).trunc_subsecs(0);
    add_shift(app, employee, start).await;
    start
}

pub async fn add_shift(app: &TestApp, employee: &str, start: DateTime<Utc>) -> String {
    app.post(
        &format!("/api/v1/employees/{employee}/shifts"),
        &app.admin,
        json!({"shifts": [{"starts_at": start, "ends_at": start + Duration::hours(8), "kind": "work"}]}),
    )
    .await
    .expect(201)
    .json["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// An employee token for `employee`.
pub async fn employee_token(app: &TestApp, employee: &str) -> String {
    app.token(
        json!({"name": format!("app {employee}"), "role": "employee", "employee_id": employee}),
    )
    .await
}

/// Registers a phone for `employee`; returns their token and the registration id.
pub async fn phone(app: &TestApp, employee: &str) -> (String, String) {
    let token = employee_token(app, employee).await;
    let id = app
        .post(
            "/api/v1/me/push-registrations",
            &token,
            json!({"provider": "apns", "token": apns_token(employee)}),
        )
        .await
        .expect(201)
        .id();
    (token, id)
}

pub fn at(value: &Value) -> DateTime<Utc> {
    value.as_str().expect("a time").parse().expect("RFC 3339")
}

pub async fn send(app: &TestApp, token: &str, body: Value) -> Answer {
    app.post("/api/v1/notices", token, body).await
}

/// A notice's `stats`, as its sender sees them.
pub async fn notice_stats(app: &TestApp, notice: &str) -> Value {
    app.get(&format!("/api/v1/notices/{notice}"), &app.admin)
        .await
        .expect(200)
        .json["stats"]
        .clone()
}

pub async fn deliveries(app: &TestApp, notice: &str) -> Vec<Value> {
    app.get(&format!("/api/v1/notices/{notice}/deliveries"), &app.admin)
        .await
        .expect(200)
        .json["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn registrations_are_registered_refreshed_listed_and_removed(app: TestApp) {
    let unit = app.unit("Avd 12", None).await;
    let role = app.role("Undersköterska").await;
    let anna = app.employee("anna@region.se", &unit, &role).await;
    let bo = app.employee("bo@region.se", &unit, &role).await;
    let anna_token = employee_token(&app, &anna).await;
    let bo_token = employee_token(&app, &bo).await;
    let path = "/api/v1/me/push-registrations";

    let first = app
        .post(
            path,
            &anna_token,
            json!({"provider": "fcm", "token": "tok-1", "app_id": "se.region.stilla"}),
        )
        .await
        .expect(201)
        .json;
    assert_eq!(first["private"], true);
    assert_eq!(first["disabled"], false);
    let again = app
        .post(
            path,
            &anna_token,
            json!({"provider": "fcm", "token": "tok-1"}),
        )
        .await
        .expect(201)
        .json;
    assert_eq!(
        again["id"], first["id"],
        "the same token refreshes its registration"
    );
    assert!(at(&again["last_seen_at"]) >= at(&first["last_seen_at"]));

    // Bad input changes nothing.
    let before = app.count("push_registrations").await;
    let bad = app
        .post(path, &anna_token, json!({"provider": "sms", "token": " "}))
        .await
        .expect(422);
    assert_eq!(bad.error_fields(), vec!["provider", "token"]);
    // Each provider's token format, and the platforms each can push to.
    for (body, field) in [
        (json!({"provider": "apns", "token": "work-phone"}), "token"),
        (
            json!({"provider": "apns", "token": "ab".repeat(31)}),
            "token",
        ),
        (json!({"provider": "fcm", "token": "tok/1+2="}), "token"),
        (
            json!({"provider": "fcm", "token": "tok-3", "platform": "windows"}),
            "platform",
        ),
        (
            json!({"provider": "apns", "token": apns_token("x"), "platform": "android"}),
            "platform",
        ),
    ] {
        let refused = app.post(path, &anna_token, body.clone()).await.expect(422);
        assert_eq!(refused.error_fields(), vec![field], "{body}");
    }
    let device = app.device("SN-1", json!({})).await.expect(201).id();
    app.post(
        path,
        &anna_token,
        json!({"provider": "apns", "token": apns_token("tok-2"), "device_id": device}),
    )
    .await
    .expect(422);
    assert_eq!(app.count("push_registrations").await, before);

    // Once the device is hers, it links.
    app.post(
        &format!("/api/v1/devices/{device}/assign"),
        &app.admin,
        json!({"employee_id": anna}),
    )
    .await
    .expect(200);
    let linked = app
        .post(
            path,
            &anna_token,
            json!({"provider": "apns", "token": apns_token("tok-2"), "device_id": device}),
        )
        .await
        .expect(201)
        .json;
    assert_eq!(linked["private"], false);
    assert_eq!(linked["platform"], "ios");
    assert_eq!(
        first["platform"], "android",
        "FCM without a platform is Android"
    );
    // Apple's hex in capitals is the same phone as in lower case.
    let shouted = app
        .post(
            path,
            &anna_token,
            json!({"provider": "apns", "token": apns_token("tok-2").to_uppercase(), "device_id": device}),
        )
        .await
        .expect(201)
        .json;
    assert_eq!(shouted["id"], linked["id"]);
    assert_eq!(shouted["token"], apns_token("tok-2"));
    let listed = app.get(path, &anna_token).await.expect(200).json;
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        app.get(path, &bo_token).await.expect(200).json["items"],
        json!([])
    );

    // Only its owner removes it.
    let id = linked["id"].as_str().unwrap();
    app.call(
        Method::DELETE,
        &format!("{path}/{id}"),
        Some(&bo_token),
        None,
    )
    .await
    .expect(404);
    app.call(
        Method::DELETE,
        &format!("{path}/{id}"),
        Some(&anna_token),
        None,
    )
    .await
    .expect(204);
    app.call(
        Method::DELETE,
        &format!("{path}/{id}"),
        Some(&anna_token),
        None,
    )
    .await
    .expect(404);
    let listed = app.get(path, &anna_token).await.expect(200).json;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    // Admin tokens speak for nobody: /me is not theirs.
    app.get(path, &app.admin).await.expect(404);
}
both_stores!(registrations_are_registered_refreshed_listed_and_removed);

async fn preview_shows_who_is_reached_when_and_writes_nothing(app: TestApp) {
    quiet_policy(&app).await;
    let unit = app.unit("Avd 12", None).await;
    let role = app.role("Undersköterska").await;
    let on_duty = app.employee("on@region.se", &unit, &role).await;
    let later = app.employee("later@region.se", &unit, &role).await;
    let nowhere = app.employee("nowhere@region.se", &unit, &role).await;
    let no_phone = app.employee("nophone@region.se", &unit, &role).await;
    always_working(&app, &on_duty).await;
    always_working(&app, &no_phone).await;
    let shift_start = shift_worker(&app, &later, Duration::hours(3)).await;
    for e in [&on_duty, &later, &nowhere] {
        phone(&app, e).await;
    }
    let before = (app.count("notices").await, app.count("deliveries").await);

    let body = json!({"title": "Ny rutin", "body": "Läs före passet", "priority": "info",
        "audience": {"unit_ids": [unit]}});
    let preview = app
        .post("/api/v1/notices/preview", &app.admin, body)
        .await
        .expect(200)
        .json;
    assert_eq!(
        preview["summary"],
        json!({"now": 1, "held": 2, "expired": 0, "no_device": 1})
    );
    let find = |id: &str| {
        preview["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["employee_id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(find(&on_duty)["reason"], "working_hours");
    assert_eq!(find(&later)["reason"], "off_duty");
    assert_eq!(at(&find(&later)["deliver_at"]), shift_start);
    assert!(
        find(&later)["utc_offset"]
            .as_str()
            .unwrap()
            .starts_with('+')
    );
    assert_eq!(find(&nowhere)["reason"], "no_working_time");
    assert_eq!(find(&nowhere)["deliver_at"], Value::Null);
    assert_eq!(find(&no_phone)["outcome"], "no_device");

    // Expiring before the shift starts: the shift worker's copy would come too late.
    let body = json!({"title": "Lunch", "body": "Tårta i fikarummet", "priority": "info",
        "audience": {"unit_ids": [unit]}, "expires_at": Utc::now() + Duration::hours(1)});
    let preview = app
        .post("/api/v1/notices/preview", &app.admin, body)
        .await
        .expect(200)
        .json;
    assert_eq!(preview["summary"]["expired"], 1);
    assert_eq!(
        find(&later)["outcome"],
        "held",
        "the earlier preview is unchanged"
    );
    assert_eq!(
        (app.count("notices").await, app.count("deliveries").await),
        before,
        "a preview writes nothing"
    );
}
both_stores!(preview_shows_who_is_reached_when_and_writes_nothing);

async fn a_sent_notice_is_pushed_when_due_followed_and_acknowledged(app: TestApp) {
    quiet_policy(&app).await;
    let unit = app.unit("Avd 12", None).await;
    let role = app.role("Sjuksköterska").await;
    let on_duty = app.employee("on@region.se", &unit, &role).await;
    let off_duty = app.employee("off@region.se", &unit, &role).await;
    always_working(&app, &on_duty).await;
    let shift_start = shift_worker(&app, &off_duty, Duration::hours(2)).await;
    let (on_token, on_phone) = phone(&app, &on_duty).await;
    let (off_token, _) = phone(&app, &off_duty).await;

    let sent = send(
        &app,
        &app.admin,
        json!({"title": "Ny larmrutin", "body": "Gäller från i dag", "priority": "important",
            "audience": {"unit_ids": [unit]}}),
    )
    .await
    .expect(201)
    .json;
    let notice = sent["id"].as_str().unwrap().to_owned();
    assert_eq!(
        sent["summary"],
        json!({"now": 1, "held": 1, "expired": 0, "no_device": 0})
    );
    assert_eq!(
        sent["requires_ack"], true,
        "important asks for acknowledgement"
    );
    assert_eq!(sent["stats"]["recipients"], 2);
    assert_eq!(sent["stats"]["scheduled"], 2);

    assert_eq!(app.dispatch().await, 1, "only the one on duty is due");
    let pushes = app.recorder.pushes();
    assert_eq!(pushes.len(), 1);
    assert_eq!(pushes[0].token, apns_token(&on_duty));
    assert_eq!(pushes[0].title, "Ny larmrutin");
    assert_eq!(pushes[0].notice_id.to_string(), notice);
    assert!(
        pushes[0].expires_at.is_some(),
        "non-urgent pushes expire with the window"
    );

    let rows = deliveries(&app, &notice).await;
    let mine = rows
        .iter()
        .find(|d| d["registration_id"] == on_phone.as_str())
        .unwrap();
    assert_eq!(
        (mine["status"].as_str(), mine["attempts"].as_i64()),
        (Some("sent"), Some(1))
    );
    let held = rows
        .iter()
        .find(|d| d["employee_id"] == off_duty.as_str())
        .unwrap();
    assert_eq!(held["status"], "scheduled");
    assert_eq!(at(&held["deliver_at"]), shift_start);

    // Inboxes: both see it; one reached, one held for the shift.
    let inbox = app
        .get("/api/v1/me/notices", &on_token)
        .await
        .expect(200)
        .json;
    assert_eq!(inbox["items"][0]["status"], "available");
    assert!(inbox["items"][0]["pushed_at"].is_string());
    let inbox = app
        .get("/api/v1/me/notices", &off_token)
        .await
        .expect(200)
        .json;
    assert_eq!(inbox["items"][0]["status"], "held");

    let acked = app
        .post(
            &format!("/api/v1/me/notices/{notice}/ack"),
            &on_token,
            json!({}),
        )
        .await
        .expect(200)
        .json;
    let first_ack = acked["acked_at"].clone();
    let again = app
        .post(
            &format!("/api/v1/me/notices/{notice}/ack"),
            &on_token,
            json!({}),
        )
        .await
        .expect(200)
        .json;
    assert_eq!(
        again["acked_at"], first_ack,
        "acknowledging again changes nothing"
    );
    let stats = notice_stats(&app, &notice).await;
    assert_eq!(stats["sent"], 1);
    assert_eq!(stats["scheduled"], 1);
    assert_eq!(stats["acked"], 1);
    assert_eq!(
        stats["awaiting_ack"], 0,
        "the one held off duty is not counted as not having read it"
    );

    // The shift starts: the held one goes.
    assert_eq!(
        app.dispatch_at(Duration::hours(2) + Duration::minutes(1))
            .await,
        1
    );
    assert_eq!(app.recorder.pushes().len(), 2);
    let stats = notice_stats(&app, &notice).await;
    assert_eq!(
        (stats["sent"].as_i64(), stats["scheduled"].as_i64()),
        (Some(2), Some(0))
    );

    // Others cannot acknowledge or see what is not theirs.
    let stranger = app.employee("x@region.se", &unit, &role).await;
    let stranger_token = employee_token(&app, &stranger).await;
    app.post(
        &format!("/api/v1/me/notices/{notice}/ack"),
        &stranger_token,
        json!({}),
    )
    .await
    .expect(404);
    app.get(&format!("/api/v1/notices/{notice}"), &on_token)
        .await
        .expect(403);
    let listed = app
        .get("/api/v1/notices", &app.admin)
        .await
        .expect(200)
        .json;
    assert_eq!(listed["items"][0]["id"], notice.as_str());
}
both_stores!(a_sent_notice_is_pushed_when_due_followed_and_acknowledged);

async fn audiences_resolve_units_roles_and_people_within_the_senders_reach(app: TestApp) {
    let region = app.unit("Sjukhuset", None).await;
    let ward = app.unit("Avd 5", Some(&region)).await;
    let sub = app.unit("Avd 5 natt", Some(&ward)).await;
    let other = app.unit("Avd 9", Some(&region)).await;
    let nurse = app.role("Sjuksköterska").await;
    let aide = app.role("Undersköterska").await;
    let n1 = app.employee("n1@region.se", &ward, &nurse).await;
    let n2 = app.employee("n2@region.se", &sub, &nurse).await;
    let a1 = app.employee("a1@region.se", &sub, &aide).await;
    let n3 = app.employee("n3@region.se", &other, &nurse).await;
    let gone = app.employee("gone@region.se", &ward, &nurse).await;
    app.patch(
        &format!("/api/v1/employees/{gone}"),
        &app.admin,
        json!({"employment_type": "temporary", "employment_ends_on": "2020-01-31"}),
    )
    .await
    .expect(200);

    let recipients = |answer: Answer| {
        let mut ids: Vec<String> = answer.json["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["employee_id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let sorted = |mut v: Vec<&String>| {
        v.sort();
        v.into_iter().cloned().collect::<Vec<_>>()
    };
    let preview = |token: String, audience: Value| {
        let app = &app;
        async move {
            app.post(
                "/api/v1/notices/preview",
                &token,
                json!({"title": "T", "body": "B", "priority": "info", "audience": audience}),
            )
            .await
        }
    };
    let admin = app.admin.clone();
    // A unit takes its subtree; people whose employment ended are left out.
    let got = recipients(
        preview(admin.clone(), json!({"unit_ids": [ward]}))
            .await
            .expect(200),
    );
    assert_eq!(got, sorted(vec![&n1, &n2, &a1]));
    // Units and roles intersect; named people are added.
    let got = recipients(
        preview(
            admin.clone(),
            json!({"unit_ids": [ward], "role_ids": [nurse], "employee_ids": [n3]}),
        )
        .await
        .expect(200),
    );
    assert_eq!(got, sorted(vec![&n1, &n2, &n3]));
    let got = recipients(
        preview(admin.clone(), json!({"role_ids": [aide]}))
            .await
            .expect(200),
    );
    assert_eq!(got, vec![a1.clone()]);
    let got = recipients(
        preview(admin.clone(), json!({"all": true}))
            .await
            .expect(200),
    );
    assert_eq!(got.len(), 4);

    // Bad audiences are named.
    let bad = preview(
        admin.clone(),
        json!({"unit_ids": [ward, uuid::Uuid::now_v7()], "employee_ids": [uuid::Uuid::now_v7()]}),
    )
    .await
    .expect(422);
    assert_eq!(
        bad.error_fields(),
        vec!["audience.unit_ids[1]", "audience.employee_ids[0]"]
    );
    preview(admin.clone(), json!({})).await.expect(422);
    preview(admin.clone(), json!({"all": true, "unit_ids": [ward]}))
        .await
        .expect(422);

    // A manager of Avd 5 reaches Avd 5 and below, and nobody else.
    let manager = app
        .token(json!({"name": "chef avd 5", "role": "manager", "unit_ids": [ward]}))
        .await;
    let got = recipients(
        preview(manager.clone(), json!({"unit_ids": [sub]}))
            .await
            .expect(200),
    );
    assert_eq!(got, sorted(vec![&n2, &a1]));
    // Units and people outside their scope are answered as ids that do not exist, so
    // that a manager cannot tell which ids exist elsewhere.
    let outside = preview(manager.clone(), json!({"unit_ids": [other]}))
        .await
        .expect(422);
    let unknown = preview(manager.clone(), json!({"unit_ids": [uuid::Uuid::now_v7()]}))
        .await
        .expect(422);
    assert_eq!(outside.json["errors"], unknown.json["errors"]);
    let outside = preview(manager.clone(), json!({"employee_ids": [n3]}))
        .await
        .expect(422);
    let unknown = preview(
        manager.clone(),
        json!({"employee_ids": [uuid::Uuid::now_v7()]}),
    )
    .await
    .expect(422);
    assert_eq!(outside.json["errors"], unknown.json["errors"]);
    preview(manager.clone(), json!({"role_ids": [nurse]}))
        .await
        .expect(403);
    preview(manager.clone(), json!({"all": true}))
        .await
        .expect(403);
    let before = app.count("notices").await;
    app.post(
        "/api/v1/notices",
        &manager,
        json!({"title": "T", "body": "B",
        "priority": "info", "audience": {"employee_ids": [n3]}}),
    )
    .await
    .expect(422);
    // Employees do not send notices.
    let employee = employee_token(&app, &n1).await;
    preview(employee.clone(), json!({"unit_ids": [ward]}))
        .await
        .expect(403);
    assert_eq!(app.count("notices").await, before);

    // A manager follows the notices they sent, not others'.
    let mine = send(
        &app,
        &manager,
        json!({"title": "Möte", "body": "B", "priority": "info",
        "audience": {"unit_ids": [ward]}}),
    )
    .await
    .expect(201)
    .id();
    let theirs = send(
        &app,
        &app.admin,
        json!({"title": "Alla", "body": "B", "priority": "info",
        "audience": {"all": true}}),
    )
    .await
    .expect(201)
    .id();
    app.get(&format!("/api/v1/notices/{mine}"), &manager)
        .await
        .expect(200);
    app.get(&format!("/api/v1/notices/{theirs}"), &manager)
        .await
        .expect(404);
    let listed = app.get("/api/v1/notices", &manager).await.expect(200).json;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    app.call(
        Method::DELETE,
        &format!("/api/v1/notices/{theirs}"),
        Some(&manager),
        None,
    )
    .await
    .expect(404);

    // Another tenant sees none of it.
    let (_, stranger) = app.other_tenant().await;
    app.get(&format!("/api/v1/notices/{mine}"), &stranger)
        .await
        .expect(404);
    preview(stranger.clone(), json!({"unit_ids": [ward]}))
        .await
        .expect(422);
}
both_stores!(audiences_resolve_units_roles_and_people_within_the_senders_reach);

async fn notice_fields_are_checked_before_anything_is_written(app: TestApp) {
    let unit = app.unit("Avd 1", None).await;
    let role = app.role("Läkare").await;
    app.employee("l@region.se", &unit, &role).await;
    let base =
        json!({"title": "T", "body": "B", "priority": "info", "audience": {"unit_ids": [unit]}});
    let with = |key: &str, value: Value| {
        let mut body = base.clone();
        body[key] = value;
        body
    };
    let cases = [
        (with("title", json!("x".repeat(121))), vec!["title"]),
        (with("body", json!("ä".repeat(701))), vec!["body"]),
        (with("title", json!("  ")), vec!["title"]),
        (with("body", json!("bell \u{7}")), vec!["body"]),
        (
            with("send_at", json!("2020-01-01T00:00:00Z")),
            vec!["send_at"],
        ),
        (
            with("send_at", json!(Utc::now() + Duration::days(200))),
            vec!["send_at"],
        ),
        (
            with("expires_at", json!(Utc::now() - Duration::minutes(5))),
            vec!["expires_at"],
        ),
        (
            with("repeat_until_ack", json!(true)),
            vec!["repeat_until_ack"],
        ),
        (
            with("urgent_reason", json!("för att")),
            vec!["urgent_reason"],
        ),
    ];
    let before = (
        app.count("notices").await,
        app.count("notice_recipients").await,
    );
    for (body, fields) in cases {
        let answer = send(&app, &app.admin, body.clone()).await.expect(422);
        assert_eq!(answer.content_type, "application/problem+json");
        assert_eq!(answer.error_fields(), fields, "{body}");
    }
    send(&app, &app.admin, with("priority", json!("loud")))
        .await
        .expect(422);
    send(&app, &app.admin, with("colour", json!("red")))
        .await
        .expect(422);
    let long_key = "k".repeat(300);
    let answer = app
        .client
        .post(format!("{}/api/v1/notices", app.base))
        .bearer_auth(&app.admin)
        .header("Idempotency-Key", long_key)
        .json(&base)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 422);
    assert_eq!(
        (
            app.count("notices").await,
            app.count("notice_recipients").await
        ),
        before
    );
    // The longest allowed notice is accepted.
    let longest = json!({"title": "𝄞".repeat(120), "body": "😀".repeat(700), "priority": "info",
        "audience": {"unit_ids": [unit]}});
    send(&app, &app.admin, longest).await.expect(201);
}
both_stores!(notice_fields_are_checked_before_anything_is_written);

async fn an_idempotency_key_makes_a_retried_send_return_the_first_notice(app: TestApp) {
    let unit = app.unit("Avd 1", None).await;
    let role = app.role("Läkare").await;
    let doctor = app.employee("l@region.se", &unit, &role).await;
    always_working(&app, &doctor).await;
    phone(&app, &doctor).await;
    let body = json!({"title": "Larm", "body": "Övning 14:00", "priority": "info",
        "audience": {"unit_ids": [unit]}});
    let post = |key: &'static str, body: Value| {
        let app = &app;
        async move {
            app.client
                .post(format!("{}/api/v1/notices", app.base))
                .bearer_auth(&app.admin)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let first = post("retry-1", body.clone()).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();
    let second = post("retry-1", body.clone()).await;
    assert_eq!(second.status(), 201);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    let second: Value = second.json().await.unwrap();
    assert_eq!(second["id"], first["id"]);
    assert_eq!(app.count("notices").await, 1);
    assert_eq!(app.count("deliveries").await, 1, "nothing new to push");
    // The same key for another notice is a mistake, not a replay.
    let mut other = body.clone();
    other["title"] = json!("Annat");
    assert_eq!(post("retry-1", other).await.status(), 422);

    // Eight identical requests at once make one notice.
    let racing = futures_util::future::join_all((0..8).map(|_| post("race-1", body.clone()))).await;
    let mut ids = std::collections::HashSet::new();
    for answer in racing {
        assert_eq!(answer.status(), 201);
        let json: Value = answer.json().await.unwrap();
        ids.insert(json["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(app.count("notices").await, 2);
    assert_eq!(app.count("deliveries").await, 2);
    app.dispatch().await;
    assert_eq!(app.recorder.pushes().len(), 2, "each notice pushed once");
}
both_stores!(an_idempotency_key_makes_a_retried_send_return_the_first_notice);

/// An urgent call-in sent without an expiry expires after the configured default, so
/// one that could not be pushed in time is never pushed days later; one with its own
/// expiry keeps it, and other priorities get none.
async fn urgent_notices_expire_by_default(app: TestApp) {
    let unit = app.unit("Akuten", None).await;
    let role = app.role("Läkare").await;
    app.employee("jour@region.se", &unit, &role).await;
    let urgent_sender = app
        .token(json!({"name": "vakthavande", "role": "manager", "unit_ids": [unit], "can_send_urgent": true}))
        .await;
    let call_in = json!({"title": "Inkallning", "body": "Kom in", "priority": "urgent",
        "audience": {"unit_ids": [unit]}, "urgent_reason": "Storlarm"});
    let sent = send(&app, &urgent_sender, call_in.clone())
        .await
        .expect(201)
        .json;
    let (send_at, expires_at) = (at(&sent["send_at"]), at(&sent["expires_at"]));
    assert_eq!(expires_at - send_at, Duration::minutes(240));

    let mut own = call_in;
    let until = (Utc::now() + Duration::minutes(30)).trunc_subsecs(0);
    own["expires_at"] = json!(until);
    let sent = send(&app, &urgent_sender, own).await.expect(201).json;
    assert_eq!(at(&sent["expires_at"]), until);

    let info = json!({"title": "Fika", "body": "…", "priority": "info",
        "audience": {"unit_ids": [unit]}});
    let sent = send(&app, &app.admin, info).await.expect(201).json;
    assert_eq!(sent["expires_at"], Value::Null);
}
both_stores!(urgent_notices_expire_by_default);

/// A notice says who sent it as its readers know them: the person a token was issued
/// to, not the token's name; a system's token (nobody's) by its own name.
async fn the_sender_is_the_person_behind_the_token(app: TestApp) {
    let unit = app.unit("Avd 2", None).await;
    let role = app.role("Avdelningschef").await;
    let boss = app
        .post(
            "/api/v1/employees",
            &app.admin,
            json!({"name": "Karin Holm", "email": "karin@region.se", "unit_id": unit,
                "role_id": role, "employment_type": "permanent"}),
        )
        .await
        .expect(201)
        .id();
    let hers = app
        .token(
            json!({"name": "Karins mobil-app", "role": "manager", "unit_ids": [unit],
            "employee_id": boss}),
        )
        .await;
    let system = app
        .token(json!({"name": "Larmsystemet", "role": "manager", "unit_ids": [unit]}))
        .await;
    let body = json!({"title": "Möte", "body": "14:00", "priority": "info",
        "audience": {"unit_ids": [unit]}});
    let from_her = send(&app, &hers, body.clone()).await.expect(201);
    assert_eq!(from_her.json["sender"], "Karin Holm");
    let from_system = send(&app, &system, body).await.expect(201);
    assert_eq!(from_system.json["sender"], "Larmsystemet");
}
both_stores!(the_sender_is_the_person_behind_the_token);
