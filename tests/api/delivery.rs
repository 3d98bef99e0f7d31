//! The dispatcher's side: digests, re-planning, retries, dead tokens, urgent repeats,
//! cancelling and expiry.
use std::time::Duration as StdDuration;

use chrono::{Duration, SubsecRound, Utc};
use reqwest::Method;
use serde_json::json;
use stilla::{push::PushOutcome, reachability::Priority};

use crate::{
    helpers::{TestApp, apns_token, both_stores},
    notices::{
        add_shift, always_working, at, deliveries, employee_token, phone, quiet_policy, send,
        shift_worker,
    },
};

async fn held_notices_go_out_as_one_digest_when_the_shift_starts(app: TestApp) {
    quiet_policy(&app).await;
    let unit = app.unit("Avd 7", None).await;
    let role = app.role("Sjuksköterska").await;
    let nurse = app.employee("n@region.se", &unit, &role).await;
    shift_worker(&app, &nurse, Duration::hours(1)).await;
    phone(&app, &nurse).await;
    let mut ids = Vec::new();
    for (title, priority) in [
        ("Fika", "info"),
        ("Ny rutin för läkemedel", "important"),
        ("Parkering", "info"),
        ("Inställt möte", "info"),
    ] {
        let body = json!({"title": title, "body": "…", "priority": priority,
            "audience": {"employee_ids": [nurse]}});
        ids.push(send(&app, &app.admin, body).await.expect(201).id());
    }
    // One of them is called off before the shift.
    app.call(
        Method::DELETE,
        &format!("/api/v1/notices/{}", ids[3]),
        Some(&app.admin),
        None,
    )
    .await
    .expect(200);

    assert_eq!(app.dispatch().await, 0, "nothing before the shift");
    app.dispatch_at(Duration::hours(1) + Duration::seconds(30))
        .await;
    let pushes = app.recorder.pushes();
    assert_eq!(pushes.len(), 1, "one digest push: {pushes:?}");
    let digest = &pushes[0];
    assert_eq!(digest.title, "3 new notices");
    assert_eq!(digest.count, 3, "the badge counts what it holds");
    assert!(
        digest.body.starts_with("Ny rutin för läkemedel"),
        "important leads: {}",
        digest.body
    );
    assert!(!digest.body.contains("Inställt"), "cancelled ones drop out");
    assert_eq!(digest.priority, Priority::Important);
    for id in &ids[..3] {
        assert_eq!(deliveries(&app, id).await[0]["status"], "sent");
    }
    assert_eq!(deliveries(&app, &ids[3]).await[0]["status"], "cancelled");
}
both_stores!(held_notices_go_out_as_one_digest_when_the_shift_starts);

/// A digest the provider asks to retry comes back as one digest, not one push each.
async fn a_retried_digest_stays_one_push(app: TestApp) {
    quiet_policy(&app).await;
    let unit = app.unit("Avd 8", None).await;
    let role = app.role("Sjuksköterska").await;
    let nurse = app.employee("n@region.se", &unit, &role).await;
    shift_worker(&app, &nurse, Duration::hours(1)).await;
    phone(&app, &nurse).await;
    for title in [
        "Fika",
        "Parkering",
        "Ny blankett",
        "Städning",
        "Kurs",
        "Möte",
    ] {
        let body = json!({"title": title, "body": "…", "priority": "info",
            "audience": {"employee_ids": [nurse]}});
        send(&app, &app.admin, body).await.expect(201);
    }
    app.recorder.answer_next(PushOutcome::Retry {
        error: "APNs 500: InternalServerError".to_owned(),
        retry_after: None,
    });
    let shift = Duration::hours(1) + Duration::seconds(30);
    app.dispatch_at(shift).await;
    // Halfway through the first backoff (1-2 s): the rows come back together, so
    // either all of them are due or none is.
    app.dispatch_at(shift + Duration::milliseconds(1_500)).await;
    app.dispatch_at(shift + Duration::minutes(15)).await;
    let pushes = app.recorder.pushes();
    let counts: Vec<u32> = pushes.iter().map(|p| p.count).collect();
    assert_eq!(counts, [6, 6], "the digest, then the digest again");
}
both_stores!(a_retried_digest_stays_one_push);

async fn waiting_deliveries_follow_changes_of_working_time(app: TestApp) {
    quiet_policy(&app).await;
    let unit = app.unit("Avd 7", None).await;
    let role = app.role("Sjuksköterska").await;
    let nurse = app.employee("n@region.se", &unit, &role).await;
    let first_start = shift_worker(&app, &nurse, Duration::hours(2)).await;
    let (nurse_token, _) = phone(&app, &nurse).await;
    let notice = send(
        &app,
        &app.admin,
        json!({"title": "Schema", "body": "Nytt schema ute", "priority": "info",
            "audience": {"employee_ids": [nurse]}}),
    )
    .await
    .expect(201)
    .id();
    assert_eq!(
        at(&deliveries(&app, &notice).await[0]["deliver_at"]),
        first_start
    );

    // The shift is swapped away: no working time is known, nothing is due.
    let shifts = app
        .get(&format!("/api/v1/employees/{nurse}/shifts"), &app.admin)
        .await
        .expect(200)
        .json;
    let shift_id = shifts["items"][0]["id"].as_str().unwrap();
    app.call(
        Method::DELETE,
        &format!("/api/v1/shifts/{shift_id}"),
        Some(&app.admin),
        None,
    )
    .await
    .expect(204);
    let row = deliveries(&app, &notice).await[0].clone();
    assert_eq!(row["deliver_at"], serde_json::Value::Null);
    assert_eq!(row["status"], "scheduled");
    assert_eq!(
        app.dispatch_at(Duration::hours(2) + Duration::minutes(5))
            .await,
        0,
        "no push at the old shift's start"
    );
    assert!(app.recorder.pushes().is_empty());

    // A new shift later: planned for it.
    let new_start = (Utc::now() + Duration::hours(5)).trunc_subsecs(0);
    add_shift(&app, &nurse, new_start).await;
    assert_eq!(
        at(&deliveries(&app, &notice).await[0]["deliver_at"]),
        new_start
    );
    let inbox = app
        .get("/api/v1/me/notices", &nurse_token)
        .await
        .expect(200)
        .json;
    assert_eq!(at(&inbox["items"][0]["deliver_at"]), new_start);

    // Focus time at the start of it ("in a patient meeting"): after the meeting.
    app.patch(
        &format!("/api/v1/employees/{nurse}"),
        &app.admin,
        json!({"schedule_mode": "weekly"}),
    )
    .await
    .expect(200);
    let row = deliveries(&app, &notice).await[0].clone();
    assert_eq!(
        row["deliver_at"],
        serde_json::Value::Null,
        "weekly mode under a policy without hours: nothing known"
    );
    always_working(&app, &nurse).await;
    let planned = at(&deliveries(&app, &notice).await[0]["deliver_at"]);
    assert!(planned <= Utc::now(), "working now: due at once");
    let until = Utc::now() + Duration::minutes(45);
    app.call(
        Method::PUT,
        "/api/v1/me/focus",
        Some(&nurse_token),
        Some(json!({"until": until})),
    )
    .await
    .expect(200);
    let planned = at(&deliveries(&app, &notice).await[0]["deliver_at"]);
    assert!(
        (planned - until).num_seconds().abs() <= 1,
        "{planned} vs {until}"
    );
}
both_stores!(waiting_deliveries_follow_changes_of_working_time);

async fn retries_back_off_and_a_dead_token_is_never_used_again(app: TestApp) {
    quiet_policy(&app).await;
    let unit = app.unit("Avd 7", None).await;
    let role = app.role("Läkare").await;
    let doctor = app.employee("d@region.se", &unit, &role).await;
    always_working(&app, &doctor).await;
    let (doctor_token, registration) = phone(&app, &doctor).await;
    let body = json!({"title": "Rond", "body": "Ronden börjar 09:30", "priority": "info",
        "audience": {"employee_ids": [doctor]}});
    let notice = send(&app, &app.admin, body.clone()).await.expect(201).id();

    // The provider is down and asks for 30 s.
    app.recorder.answer_next(PushOutcome::Retry {
        error: "APNs 503: ServiceUnavailable".to_owned(),
        retry_after: Some(StdDuration::from_secs(30)),
    });
    assert_eq!(app.dispatch().await, 1);
    let row = deliveries(&app, &notice).await[0].clone();
    assert_eq!(row["status"], "scheduled");
    assert_eq!(row["attempts"], 1);
    assert_eq!(row["last_error"], "APNs 503: ServiceUnavailable");
    assert_eq!(
        app.dispatch_at(Duration::seconds(20)).await,
        0,
        "Retry-After is honoured"
    );
    assert_eq!(app.dispatch_at(Duration::seconds(40)).await, 1);
    let row = deliveries(&app, &notice).await[0].clone();
    assert_eq!(
        (row["status"].as_str(), row["attempts"].as_i64()),
        (Some("sent"), Some(2))
    );
    assert_eq!(app.recorder.pushes().len(), 2);

    // Apple says the token is gone: the registration is disabled at once.
    let second = send(
        &app,
        &app.admin,
        json!({"title": "Rond 2", "body": "…", "priority": "info",
        "audience": {"employee_ids": [doctor]}}),
    )
    .await
    .expect(201)
    .id();
    app.recorder.answer_next(PushOutcome::TokenGone {
        reason: "APNs 410: Unregistered".to_owned(),
    });
    app.dispatch().await;
    let row = deliveries(&app, &second).await[0].clone();
    assert_eq!(row["status"], "failed");
    let mine = app
        .get("/api/v1/me/push-registrations", &doctor_token)
        .await
        .expect(200)
        .json;
    let reg = &mine["items"][0];
    assert_eq!(reg["id"], registration.as_str());
    assert_eq!(reg["disabled"], true);
    assert_eq!(reg["disabled_reason"], "APNs 410: Unregistered");
    let retired = retirements(&app, &registration).await;
    assert_eq!(
        retired,
        vec![(
            "push dispatcher".to_owned(),
            "APNs 410: Unregistered".to_owned()
        )],
        "the dispatcher's retirement is in the audit trail"
    );
    let third = send(
        &app,
        &app.admin,
        json!({"title": "Rond 3", "body": "…", "priority": "info",
        "audience": {"employee_ids": [doctor]}}),
    )
    .await
    .expect(201)
    .json;
    assert_eq!(third["summary"]["no_device"], 1, "never tried again");
    let pushes_before = app.recorder.pushes().len();
    app.dispatch_at(Duration::minutes(5)).await;
    assert_eq!(app.recorder.pushes().len(), pushes_before);

    // The app registers the token anew: it comes back to life.
    let revived = app
        .post(
            "/api/v1/me/push-registrations",
            &doctor_token,
            json!({"provider": "apns", "token": apns_token(&doctor)}),
        )
        .await
        .expect(201)
        .json;
    assert_eq!(revived["disabled"], false);

    // A provider that keeps failing: given up after the maximum age.
    let fourth = send(&app, &app.admin, body).await.expect(201).id();
    for _ in 0..30 {
        app.recorder.answer_next(PushOutcome::Retry {
            error: "APNs 500: InternalServerError".to_owned(),
            retry_after: None,
        });
    }
    let mut ahead = Duration::zero();
    for _ in 0..20 {
        app.dispatch_at(ahead).await;
        ahead += Duration::minutes(10);
    }
    let row = deliveries(&app, &fourth).await[0].clone();
    assert_eq!(row["status"], "failed");
    assert!(
        row["last_error"]
            .as_str()
            .unwrap()
            .starts_with("gave up after"),
        "{row}"
    );
}
both_stores!(retries_back_off_and_a_dead_token_is_never_used_again);

/// The audit trail's retirements of a push registration: (who, the stored reason).
async fn retirements(app: &TestApp, registration: &str) -> Vec<(String, String)> {
    let audit = app
        .get(
            &format!(
                "/api/v1/audit?entity_type=push_registration&entity_id={registration}&action=retire"
            ),
            &app.admin,
        )
        .await
        .expect(200)
        .json;
    audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap_or_default().to_owned(),
                e["after"]["reason"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

async fn a_registration_its_owner_removes_is_retired_and_audited(app: TestApp) {
    quiet_policy(&app).await;
    let unit = app.unit("Avd 7", None).await;
    let role = app.role("Läkare").await;
    let doctor = app.employee("d@region.se", &unit, &role).await;
    let (doctor_token, registration) = phone(&app, &doctor).await;
    let notice = send(
        &app,
        &app.admin,
        json!({"title": "Rond", "body": "…", "priority": "info",
        "audience": {"employee_ids": [doctor]}}),
    )
    .await
    .expect(201)
    .id();
    assert_eq!(deliveries(&app, &notice).await[0]["status"], "scheduled");
    app.call(
        Method::DELETE,
        &format!("/api/v1/me/push-registrations/{registration}"),
        Some(&doctor_token),
        None,
    )
    .await
    .expect(204);
    let row = deliveries(&app, &notice).await[0].clone();
    assert_eq!(
        row["status"], "cancelled",
        "what waited for it is cancelled"
    );
    let mine = app
        .get("/api/v1/me/push-registrations", &doctor_token)
        .await
        .expect(200)
        .json;
    assert_eq!(mine["items"], json!([]), "it leaves the owner's list");
    let retired = retirements(&app, &registration).await;
    assert_eq!(retired.len(), 1, "{retired:?}");
    assert_eq!(retired[0].1, "removed by its owner");
    assert_ne!(retired[0].0, "push dispatcher", "the owner's token acted");
    // Removing it again finds nothing, and records nothing more.
    app.call(
        Method::DELETE,
        &format!("/api/v1/me/push-registrations/{registration}"),
        Some(&doctor_token),
        None,
    )
    .await
    .expect(404);
    assert_eq!(retirements(&app, &registration).await.len(), 1);
}
both_stores!(a_registration_its_owner_removes_is_retired_and_audited);

async fn urgent_breaks_through_is_counted_and_repeats_until_acknowledged(app: TestApp) {
    quiet_policy(&app).await;
    let unit = app.unit("Akuten", None).await;
    let role = app.role("Sjuksköterska").await;
    let nurse = app.employee("n@region.se", &unit, &role).await;
    let nurse_token = employee_token(&app, &nurse).await;
    // A work phone and a private phone whose owner did not opt in.
    let device = app.device("SN-9", json!({})).await.expect(201).id();
    app.post(
        &format!("/api/v1/devices/{device}/assign"),
        &app.admin,
        json!({"employee_id": nurse}),
    )
    .await
    .expect(200);
    app.post(
        "/api/v1/me/push-registrations",
        &nurse_token,
        json!({"provider": "apns", "token": apns_token("work-phone"), "device_id": device}),
    )
    .await
    .expect(201);
    app.post(
        "/api/v1/me/push-registrations",
        &nurse_token,
        json!({"provider": "apns", "token": apns_token("private-phone")}),
    )
    .await
    .expect(201);

    let manager = app
        .token(json!({"name": "chef", "role": "manager", "unit_ids": [unit]}))
        .await;
    let urgent = json!({"title": "Inkallning", "body": "Storlarm: kom in", "priority": "urgent",
        "audience": {"unit_ids": [unit]}, "urgent_reason": "Storlarm, masskadeutfall",
        "repeat_until_ack": true});
    app.post("/api/v1/notices", &manager, urgent.clone())
        .await
        .expect(403);
    let allowed = app
        .token(json!({"name": "vakthavande", "role": "manager", "unit_ids": [unit], "can_send_urgent": true}))
        .await;
    let mut no_reason = urgent.clone();
    no_reason["urgent_reason"] = json!("  ");
    let refused = app
        .post("/api/v1/notices", &allowed, no_reason)
        .await
        .expect(422);
    assert_eq!(refused.error_fields(), vec!["urgent_reason"]);
    let sent = app
        .post("/api/v1/notices", &allowed, urgent)
        .await
        .expect(201)
        .json;
    let notice = sent["id"].as_str().unwrap().to_owned();
    assert_eq!(
        sent["summary"]["now"], 1,
        "urgent goes at once, off duty or not"
    );
    assert_eq!(
        sent["stats"]["after_hours"], 1,
        "and is counted as an after-hours contact"
    );
    let rows = deliveries(&app, &notice).await;
    assert_eq!(rows.len(), 1, "the private phone is left alone off hours");

    app.dispatch().await;
    let pushes = app.recorder.pushes();
    assert_eq!(pushes.len(), 1);
    assert_eq!(pushes[0].token, apns_token("work-phone"));
    assert_eq!(pushes[0].priority, Priority::Urgent);
    assert_eq!(
        pushes[0].expires_at,
        Some(at(&sent["expires_at"])),
        "no window to end it: the call-in's default expiry does"
    );
    let row = deliveries(&app, &notice).await[0].clone();
    assert_eq!(row["status"], "scheduled", "a repeat is due");
    assert_eq!(app.dispatch_at(Duration::seconds(60)).await, 0);
    app.dispatch_at(Duration::seconds(125)).await;
    assert_eq!(
        app.recorder.pushes().len(),
        2,
        "pushed again after two minutes"
    );
    assert_eq!(
        app.recorder.pushes()[1].collapse_key,
        pushes[0].collapse_key
    );

    app.post(
        &format!("/api/v1/me/notices/{notice}/ack"),
        &nurse_token,
        json!({}),
    )
    .await
    .expect(200);
    app.dispatch_at(Duration::minutes(5)).await;
    assert_eq!(
        app.recorder.pushes().len(),
        2,
        "acknowledged: no more repeats"
    );
    let row = deliveries(&app, &notice).await[0].clone();
    assert_eq!(row["status"], "sent");

    // Unacknowledged repeats stop after 20 minutes.
    let again = json!({"title": "Inkallning 2", "body": "Kom in", "priority": "urgent",
        "audience": {"employee_ids": [nurse]}, "urgent_reason": "Storlarm",
        "repeat_until_ack": true});
    let second = app
        .post("/api/v1/notices", &allowed, again)
        .await
        .expect(201)
        .id();
    let before = app.recorder.pushes().len();
    let mut ahead = Duration::zero();
    while ahead <= Duration::minutes(30) {
        app.dispatch_at(ahead).await;
        ahead += Duration::seconds(30);
    }
    let repeats = app.recorder.pushes().len() - before;
    assert!(
        (10..=11).contains(&repeats),
        "{repeats} pushes in 30 minutes"
    );
    assert_eq!(deliveries(&app, &second).await[0]["status"], "sent");

    // The audit trail tells who broke through, and why.
    let audit = app
        .get("/api/v1/audit?entity_type=notice", &app.admin)
        .await
        .expect(200)
        .json;
    let reasons: Vec<String> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["after"]["urgent_reason"].as_str().map(str::to_owned))
        .collect();
    assert!(
        reasons.contains(&"Storlarm, masskadeutfall".to_owned()),
        "{audit}"
    );
}
both_stores!(urgent_breaks_through_is_counted_and_repeats_until_acknowledged);

async fn cancelling_and_expiry_stop_pushes_that_have_not_gone(app: TestApp) {
    quiet_policy(&app).await;
    let unit = app.unit("Avd 3", None).await;
    let role = app.role("Undersköterska").await;
    let nurse = app.employee("n@region.se", &unit, &role).await;
    shift_worker(&app, &nurse, Duration::hours(1)).await;
    let (nurse_token, _) = phone(&app, &nurse).await;
    let notice = send(
        &app,
        &app.admin,
        json!({"title": "Julbord", "body": "Anmälan senast fredag",
        "priority": "info", "audience": {"employee_ids": [nurse]}}),
    )
    .await
    .expect(201)
    .id();
    let cancelled = app
        .call(
            Method::DELETE,
            &format!("/api/v1/notices/{notice}"),
            Some(&app.admin),
            None,
        )
        .await
        .expect(200)
        .json;
    assert!(cancelled["cancelled_at"].is_string());
    assert_eq!(cancelled["stats"]["cancelled"], 1);
    let again = app
        .call(
            Method::DELETE,
            &format!("/api/v1/notices/{notice}"),
            Some(&app.admin),
            None,
        )
        .await
        .expect(200)
        .json;
    assert_eq!(again["cancelled_at"], cancelled["cancelled_at"]);
    app.dispatch_at(Duration::hours(2)).await;
    assert!(app.recorder.pushes().is_empty());
    let inbox = app
        .get("/api/v1/me/notices", &nurse_token)
        .await
        .expect(200)
        .json;
    assert_eq!(
        inbox["items"],
        json!([]),
        "called off before it reached her"
    );

    // Expiring before the shift: expired, never pushed, still in the inbox.
    let expiring = send(
        &app,
        &app.admin,
        json!({"title": "Lunchmöte", "body": "Kl 12",
        "priority": "info", "audience": {"employee_ids": [nurse]},
        "expires_at": Utc::now() + Duration::minutes(30)}),
    )
    .await
    .expect(201)
    .json;
    assert_eq!(expiring["summary"]["expired"], 1);
    let id = expiring["id"].as_str().unwrap();
    assert_eq!(deliveries(&app, id).await[0]["status"], "expired");
    app.dispatch_at(Duration::hours(2)).await;
    assert!(app.recorder.pushes().is_empty());
    let inbox = app
        .get("/api/v1/me/notices", &nurse_token)
        .await
        .expect(200)
        .json;
    assert_eq!(inbox["items"][0]["status"], "expired");

    // A push that lands in the shift expires with it or with the notice, if sooner.
    let end_soon = Utc::now() + Duration::hours(1) + Duration::minutes(20);
    let timely = send(
        &app,
        &app.admin,
        json!({"title": "Överlämning", "body": "Sal 4",
        "priority": "important", "audience": {"employee_ids": [nurse]}, "expires_at": end_soon}),
    )
    .await
    .expect(201)
    .id();
    let row = deliveries(&app, &timely).await[0].clone();
    assert!(
        (at(&row["push_expires_at"]) - end_soon)
            .num_milliseconds()
            .abs()
            < 1000
    );
    app.dispatch_at(Duration::hours(1) + Duration::minutes(1))
        .await;
    let pushes = app.recorder.pushes();
    assert_eq!(pushes.len(), 1);
    assert!(
        (pushes[0].expires_at.unwrap() - end_soon)
            .num_milliseconds()
            .abs()
            < 1000
    );
    // A dispatcher that wakes after a push's expiry does not push it.
    let late = send(
        &app,
        &app.admin,
        json!({"title": "Sent", "body": "Nu",
        "priority": "info", "audience": {"employee_ids": [nurse]}}),
    )
    .await
    .expect(201)
    .id();
    app.dispatch_at(Duration::hours(12)).await;
    assert_eq!(deliveries(&app, &late).await[0]["status"], "expired");
    assert_eq!(app.recorder.pushes().len(), 1);
}
both_stores!(cancelling_and_expiry_stop_pushes_that_have_not_gone);

/// Never answers within a claim's lease.
struct Hanging;

#[async_trait::async_trait]
impl stilla::push::Provider for Hanging {
    async fn send(&self, _: &stilla::push::Push) -> PushOutcome {
        tokio::time::sleep(StdDuration::from_secs(30)).await;
        PushOutcome::Sent
    }
}

async fn a_push_that_outlives_its_claim_is_given_up_and_retried(app: TestApp) {
    quiet_policy(&app).await;
    let unit = app.unit("Avd 7", None).await;
    let role = app.role("Läkare").await;
    let doctor = app.employee("d@region.se", &unit, &role).await;
    always_working(&app, &doctor).await;
    phone(&app, &doctor).await;
    let notice = send(
        &app,
        &app.admin,
        json!({"title": "Rond", "body": "…", "priority": "info",
        "audience": {"employee_ids": [doctor]}}),
    )
    .await
    .expect(201)
    .id();
    let providers = stilla::push::Providers {
        apns: Some(std::sync::Arc::new(Hanging)),
        ..Default::default()
    };
    let dispatcher = stilla::delivery::Dispatcher::new(
        app.db.clone(),
        providers,
        std::sync::Arc::new(stilla::clock::SystemClock),
        stilla::delivery::DeliveryConfig {
            lease_seconds: 2,
            ..Default::default()
        },
    );
    let started = std::time::Instant::now();
    assert_eq!(dispatcher.tick().await.unwrap(), 1);
    assert!(
        started.elapsed() < StdDuration::from_secs(2),
        "gave up inside the lease"
    );
    let row = deliveries(&app, &notice).await[0].clone();
    assert_eq!(row["status"], "scheduled");
    assert_eq!(row["last_error"], "not pushed before the claim ran out");
}
both_stores!(a_push_that_outlives_its_claim_is_given_up_and_retried);
