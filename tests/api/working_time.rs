use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, both_stores};

fn weekdays(start: &str, end: &str) -> Value {
    let day = json!([{"start": start, "end": end}]);
    json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day})
}

async fn reach(app: &TestApp, token: &str, who: &str, at: &str, priority: &str) -> Value {
    let path = format!(
        "{who}/reachability?at={}&priority={priority}",
        at.replace('+', "%2B")
    );
    app.get(&path, token).await.expect(200).json
}

async fn the_policy_is_checked_and_sweden_s_holidays_are_computed(app: TestApp) {
    let policy = app.get("/api/v1/policy", &app.admin).await.expect(200).json;
    assert_eq!(policy["time_zone"], "Europe/Stockholm");
    assert_eq!(policy["working_hours"], json!({}));
    let bad = json!({"time_zone": "Europe/Stockholmm", "working_hours": {"mon": [{"start": "8:00", "end": "17:00"}],
        "tue": [{"start": "08:00", "end": "12:00"}, {"start": "11:00", "end": "13:00"}]}, "release_delay_minutes": 300});
    let answer = app
        .call(Method::PUT, "/api/v1/policy", Some(&app.admin), Some(bad))
        .await
        .expect(422);
    let mut fields = answer.error_fields();
    fields.sort();
    assert_eq!(
        fields,
        [
            "release_delay_minutes",
            "time_zone",
            "working_hours.mon[0].start",
            "working_hours.tue[1]"
        ]
    );
    let good = json!({"time_zone": "Europe/Stockholm", "working_hours": weekdays("08:00", "17:00"),
        "holidays": ["2026-12-31", "2026-12-24"], "release_delay_minutes": 15});
    let saved = app
        .call(Method::PUT, "/api/v1/policy", Some(&app.admin), Some(good))
        .await
        .expect(200)
        .json;
    assert_eq!(saved["holidays"], json!(["2026-12-24", "2026-12-31"]));
    assert_eq!(
        app.get("/api/v1/policy", &app.admin).await.expect(200).json,
        saved
    );

    let policy = app
        .post(
            "/api/v1/policy/holidays/swedish?year=2026",
            &app.admin,
            json!({}),
        )
        .await
        .expect(200)
        .json;
    let holidays: Vec<&str> = policy["holidays"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    assert_eq!(holidays.len(), 16, "{holidays:?}");
    for day in [
        "2026-01-06",
        "2026-04-03",
        "2026-04-06",
        "2026-05-14",
        "2026-06-19",
        "2026-10-31",
        "2026-12-24",
        "2026-12-31",
    ] {
        assert!(holidays.contains(&day), "{day} missing");
    }
    let again = app
        .post(
            "/api/v1/policy/holidays/swedish?year=2026",
            &app.admin,
            json!({}),
        )
        .await
        .expect(200)
        .json;
    assert_eq!(
        again["holidays"].as_array().unwrap().len(),
        16,
        "adding twice adds nothing"
    );
    app.post(
        "/api/v1/policy/holidays/swedish?year=1999",
        &app.admin,
        json!({}),
    )
    .await
    .expect(422);
    assert_eq!(policy["release_delay_minutes"], 15);
}
both_stores!(the_policy_is_checked_and_sweden_s_holidays_are_computed);

async fn working_hours_are_inherited_employee_then_unit_chain_then_tenant(app: TestApp) {
    app.call(
        Method::PUT,
        "/api/v1/policy",
        Some(&app.admin),
        Some(json!({"time_zone": "Europe/Stockholm", "working_hours": weekdays("08:00", "17:00")})),
    )
    .await
    .expect(200);
    let clinic = app.unit("Kirurgkliniken", None).await;
    let ward = app.unit("Avd 7", Some(&clinic)).await;
    let role = app.role("Sjuksköterska").await;
    let nurse = app.employee("n@region.se", &ward, &role).await;
    let who = format!("/api/v1/employees/{nurse}");
    let early = "2026-11-18T06:00:00+01:00"; // Wednesday

    let d = reach(&app, &app.admin, &who, early, "info").await;
    assert_eq!(
        (d["deliver_at"].as_str(), d["reason"].as_str()),
        (Some("2026-11-18T07:00:00Z"), Some("off_duty"))
    );

    app.call(
        Method::PUT,
        &format!("/api/v1/units/{clinic}/working-hours"),
        Some(&app.admin),
        Some(json!({"working_hours": weekdays("07:00", "15:30")})),
    )
    .await
    .expect(200);
    let d = reach(&app, &app.admin, &who, early, "info").await;
    assert_eq!(
        d["deliver_at"], "2026-11-18T06:00:00Z",
        "the clinic's 07:00 applies to its ward"
    );
    assert_eq!(d["window_ends_at"], "2026-11-18T14:30:00Z");

    app.call(
        Method::PUT,
        &format!("{who}/working-hours"),
        Some(&app.admin),
        Some(json!({"working_hours": weekdays("09:00", "17:00"), "time_zone": "America/New_York"})),
    )
    .await
    .expect(200);
    let d = reach(&app, &app.admin, &who, early, "info").await;
    assert_eq!(d["deliver_at"], "2026-11-18T14:00:00Z", "09:00 in New York");
    app.call(
        Method::PUT,
        &format!("{who}/working-hours"),
        Some(&app.admin),
        Some(json!({"working_hours": {"mon": [{"start": "25:00", "end": "26:00"}]}})),
    )
    .await
    .expect(422);

    app.call(
        Method::DELETE,
        &format!("{who}/working-hours"),
        Some(&app.admin),
        None,
    )
    .await
    .expect(204);
    assert_eq!(
        reach(&app, &app.admin, &who, early, "info").await["deliver_at"],
        "2026-11-18T06:00:00Z"
    );
    app.call(
        Method::DELETE,
        &format!("/api/v1/units/{clinic}/working-hours"),
        Some(&app.admin),
        None,
    )
    .await
    .expect(204);
    assert_eq!(
        reach(&app, &app.admin, &who, early, "info").await["deliver_at"],
        "2026-11-18T07:00:00Z"
    );

    // Julafton to annandag jul are days off; the notice waits for Monday 28 December.
    app.post(
        "/api/v1/policy/holidays/swedish?year=2026",
        &app.admin,
        json!({}),
    )
    .await
    .expect(200);
    let d = reach(
        &app,
        &app.admin,
        &who,
        "2026-12-24T10:00:00+01:00",
        "important",
    )
    .await;
    assert_eq!(
        (d["deliver_at"].as_str(), d["reason"].as_str()),
        (Some("2026-12-28T07:00:00Z"), Some("holiday"))
    );
    let d = reach(
        &app,
        &app.admin,
        &who,
        "2026-12-24T10:00:00+01:00",
        "urgent",
    )
    .await;
    assert_eq!(
        (d["deliver_at"].as_str(), d["reason"].as_str()),
        (Some("2026-12-24T09:00:00Z"), Some("urgent"))
    );
}
both_stores!(working_hours_are_inherited_employee_then_unit_chain_then_tenant);

async fn shift_workers_follow_their_shifts(app: TestApp) {
    app.call(
        Method::PUT,
        "/api/v1/policy",
        Some(&app.admin),
        Some(json!({"time_zone": "Europe/Stockholm", "working_hours": weekdays("08:00", "17:00")})),
    )
    .await
    .expect(200);
    let unit = app.unit("IVA", None).await;
    let role = app.role("Sjuksköterska").await;
    let nurse = app.employee("s@region.se", &unit, &role).await;
    let who = format!("/api/v1/employees/{nurse}");
    let e = app
        .patch(
            &who,
            &app.admin,
            json!({"schedule_mode": "shifts", "time_zone": "Europe/Stockholm"}),
        )
        .await
        .expect(200)
        .json;
    assert_eq!(e["schedule_mode"], "shifts");
    app.patch(&who, &app.admin, json!({"time_zone": "Mars/Olympus"}))
        .await
        .expect(422);
    let d = reach(&app, &app.admin, &who, "2026-11-18T10:00:00+01:00", "info").await;
    assert_eq!(
        (d["deliver_at"].clone(), d["reason"].as_str()),
        (Value::Null, Some("no_working_time")),
        "no shifts: fail closed"
    );

    let shifts = |list: Value| json!({"shifts": list});
    let overlapping = shifts(json!([
        {"starts_at": "2026-11-18T07:00:00+01:00", "ends_at": "2026-11-18T15:30:00+01:00", "kind": "work"},
        {"starts_at": "2026-11-18T15:00:00+01:00", "ends_at": "2026-11-18T21:30:00+01:00", "kind": "work"},
    ]));
    let answer = app
        .post(&format!("{who}/shifts"), &app.admin, overlapping)
        .await
        .expect(422);
    assert!(
        answer.error_fields().contains(&"shifts[1]".to_owned()),
        "{}",
        answer.text
    );
    let reversed = shifts(
        json!([{"starts_at": "2026-11-18T15:00:00+01:00", "ends_at": "2026-11-18T07:00:00+01:00", "kind": "work"}]),
    );
    assert_eq!(
        app.post(&format!("{who}/shifts"), &app.admin, reversed)
            .await
            .expect(422)
            .error_fields(),
        ["shifts[0].ends_at"]
    );
    assert_eq!(app.count("shifts").await, 0);

    let roster = shifts(json!([
        {"starts_at": "2026-11-18T07:00:00+01:00", "ends_at": "2026-11-18T15:30:00+01:00", "kind": "work"},
        {"starts_at": "2026-11-18T15:30:00+01:00", "ends_at": "2026-11-18T21:30:00+01:00", "kind": "work"},
        {"starts_at": "2026-11-19T21:00:00+01:00", "ends_at": "2026-11-20T07:00:00+01:00", "kind": "on_call"},
        {"starts_at": "2026-11-21T21:00:00+01:00", "ends_at": "2026-11-22T07:00:00+01:00", "kind": "work"},
    ]));
    let created = app
        .post(&format!("{who}/shifts"), &app.admin, roster)
        .await
        .expect(201)
        .json;
    assert_eq!(created["items"].as_array().unwrap().len(), 4);
    let clash = shifts(
        json!([{"starts_at": "2026-11-18T20:00:00+01:00", "ends_at": "2026-11-18T23:00:00+01:00", "kind": "work"}]),
    );
    assert_eq!(
        app.post(&format!("{who}/shifts"), &app.admin, clash)
            .await
            .expect(422)
            .error_fields(),
        ["shifts[0]"]
    );

    let d = reach(&app, &app.admin, &who, "2026-11-18T15:00:00+01:00", "info").await;
    assert_eq!(
        (d["reason"].as_str(), d["window_ends_at"].as_str()),
        (Some("shift"), Some("2026-11-18T20:30:00Z")),
        "back to back shifts merge"
    );
    let d = reach(&app, &app.admin, &who, "2026-11-18T21:30:00+01:00", "info").await;
    assert_eq!(
        d["deliver_at"], "2026-11-21T20:00:00Z",
        "the end of a shift is outside it; on-call opens no window"
    );
    let d = reach(
        &app,
        &app.admin,
        &who,
        "2026-11-19T23:00:00+01:00",
        "urgent",
    )
    .await;
    assert_eq!(
        (d["deliver_at"].as_str(), d["reason"].as_str()),
        (Some("2026-11-19T22:00:00Z"), Some("on_call"))
    );

    let listed = app
        .get(
            &format!("{who}/shifts?from=2026-11-19T00:00:00Z&to=2026-11-21T00:00:00Z"),
            &app.admin,
        )
        .await
        .expect(200)
        .json;
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["kind"], "on_call");
    // The night shift swapped away: the notice has nowhere to go.
    let night = created["items"][3]["id"].as_str().unwrap();
    app.call(
        Method::DELETE,
        &format!("/api/v1/shifts/{night}"),
        Some(&app.admin),
        None,
    )
    .await
    .expect(204);
    let d = reach(&app, &app.admin, &who, "2026-11-18T21:30:00+01:00", "info").await;
    assert!(d["deliver_at"].is_null());
}
both_stores!(shift_workers_follow_their_shifts);

async fn absences_and_focus_hold_notices_and_urgent_breaks_through(app: TestApp) {
    let all_day = json!([{"start": "00:00", "end": "24:00"}]);
    let every_day = json!({"mon": all_day, "tue": all_day, "wed": all_day, "thu": all_day, "fri": all_day, "sat": all_day, "sun": all_day});
    app.call(
        Method::PUT,
        "/api/v1/policy",
        Some(&app.admin),
        Some(json!({"time_zone": "Europe/Stockholm", "working_hours": every_day})),
    )
    .await
    .expect(200);
    let unit = app.unit("Avd 1", None).await;
    let role = app.role("Läkare").await;
    let doctor = app.employee("d@region.se", &unit, &role).await;
    let token = app
        .token(json!({"name": "d", "role": "employee", "employee_id": doctor}))
        .await;
    let who = format!("/api/v1/employees/{doctor}");

    let absence = app
        .post(
            &format!("{who}/absences"),
            &app.admin,
            json!({"starts_on": "2026-12-01", "ends_on": "2026-12-03", "kind": "vacation"}),
        )
        .await
        .expect(201)
        .json;
    app.post(
        &format!("{who}/absences"),
        &app.admin,
        json!({"starts_on": "2026-12-05", "ends_on": "2026-12-04", "kind": "sick"}),
    )
    .await
    .expect(422);
    app.post(
        &format!("{who}/absences"),
        &app.admin,
        json!({"starts_on": "2026-12-05", "ends_on": "2026-12-06", "kind": "holiday"}),
    )
    .await
    .expect(422);
    let d = reach(&app, &app.admin, &who, "2026-12-02T10:00:00+01:00", "info").await;
    assert_eq!(
        (d["deliver_at"].as_str(), d["reason"].as_str()),
        (Some("2026-12-03T23:00:00Z"), Some("absence"))
    );
    let listed = app
        .get(&format!("{who}/absences"), &app.admin)
        .await
        .expect(200)
        .json;
    assert_eq!(listed["items"][0]["kind"], "vacation");
    let id = absence["id"].as_str().unwrap();
    app.call(
        Method::DELETE,
        &format!("/api/v1/absences/{id}"),
        Some(&app.admin),
        None,
    )
    .await
    .expect(204);
    assert_eq!(
        reach(&app, &app.admin, &who, "2026-12-02T10:00:00+01:00", "info").await["reason"],
        "working_hours"
    );

    // Focus time, set by the employee: now + 1 h; too far or in the past is refused.
    let until = (chrono::Utc::now() + chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let too_far = (chrono::Utc::now() + chrono::Duration::hours(13)).to_rfc3339();
    let past = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    app.call(
        Method::PUT,
        "/api/v1/me/focus",
        Some(&token),
        Some(json!({"until": too_far})),
    )
    .await
    .expect(422);
    app.call(
        Method::PUT,
        "/api/v1/me/focus",
        Some(&token),
        Some(json!({"until": past})),
    )
    .await
    .expect(422);
    app.call(
        Method::PUT,
        "/api/v1/me/focus",
        Some(&token),
        Some(json!({"until": until})),
    )
    .await
    .expect(200);
    let d = app
        .get("/api/v1/me/reachability?priority=important", &token)
        .await
        .expect(200)
        .json;
    assert_eq!(
        (d["deliver_at"].as_str(), d["reason"].as_str()),
        (Some(until.as_str()), Some("focus"))
    );
    let d = app
        .get("/api/v1/me/reachability?priority=urgent", &token)
        .await
        .expect(200)
        .json;
    assert_eq!(
        d["reason"], "working_hours",
        "focus is working time: an urgent notice is no after-hours contact"
    );
    app.call(Method::DELETE, "/api/v1/me/focus", Some(&token), None)
        .await
        .expect(204);
    assert_eq!(
        app.get("/api/v1/me/reachability", &token)
            .await
            .expect(200)
            .json["reason"],
        "working_hours"
    );

    // Who may ask: the employee only about themselves; managers about their units.
    app.get(&format!("{who}/reachability"), &token)
        .await
        .expect(403);
    let elsewhere = app.unit("Akuten", None).await;
    let other_manager = app
        .token(json!({"name": "m", "role": "manager", "unit_ids": [elsewhere]}))
        .await;
    app.get(&format!("{who}/reachability"), &other_manager)
        .await
        .expect(404);
    let manager = app
        .token(json!({"name": "m2", "role": "manager", "unit_ids": [unit]}))
        .await;
    app.get(&format!("{who}/reachability"), &manager)
        .await
        .expect(200);
    let (_, other_admin) = app.other_tenant().await;
    app.get(&format!("{who}/reachability"), &other_admin)
        .await
        .expect(404);
    app.post(
        &format!("{who}/absences"),
        &other_admin,
        json!({"starts_on": "2026-12-01", "ends_on": "2026-12-01", "kind": "sick"}),
    )
    .await
    .expect(404);
    app.post(
        &format!("{who}/absences"),
        &manager,
        json!({"starts_on": "2026-12-01", "ends_on": "2026-12-01", "kind": "sick"}),
    )
    .await
    .expect(403);
}
both_stores!(absences_and_focus_hold_notices_and_urgent_breaks_through);

async fn shift_rosters_import_from_csv_and_icalendar(app: TestApp) {
    let unit = app.unit("IVA", None).await;
    let role = app.role("Sjuksköterska").await;
    let anna = app.employee("anna@region.se", &unit, &role).await;
    app.patch(
        &format!("/api/v1/employees/{anna}"),
        &app.admin,
        json!({"external_id": "TC-1", "schedule_mode": "shifts"}),
    )
    .await
    .expect(200);
    let bo = app.employee("bo@region.se", &unit, &role).await;

    // Bad lines: unknown person, bad time, reversed, overlapping, bad kind. Nothing written.
    let csv = "employee;starts_at;ends_at;kind\n\
               anna@region.se;2026-11-18 07:00;2026-11-18 15:30;work\n\
               nobody@region.se;2026-11-18 07:00;2026-11-18 15:30;work\n\
               TC-1;2026-11-19 7am;2026-11-19 15:30;work\n\
               bo@region.se;2026-11-19 15:30;2026-11-19 07:00;work\n\
               TC-1;2026-11-18 15:00;2026-11-18 21:00;work\n\
               bo@region.se;2026-11-20 07:00;2026-11-20 15:00;jour\n";
    let answer = app
        .post_csv("/api/v1/import/shifts", &app.admin, csv)
        .await
        .expect(422);
    assert_eq!(
        answer.line_errors(),
        [
            "3:employee",
            "4:starts_at",
            "5:ends_at",
            "6:starts_at",
            "7:kind"
        ]
    );
    assert_eq!(app.count("shifts").await, 0);

    // Local times in the employee's zone; the spring gap and the autumn double hour are
    // resolved by the engine's rule and reported.
    let csv = "employee,starts_at,ends_at,kind\n\
               anna@region.se,2026-03-28 21:00,2026-03-29 02:30,work\n\
               TC-1,2026-10-25 02:30,2026-10-25 10:00,beredskap\n\
               bo@region.se,2026-11-18T07:00:00+01:00,2026-11-18T15:30:00+01:00,work\n";
    let done = app
        .post_csv("/api/v1/import/shifts", &app.admin, csv)
        .await
        .expect(200)
        .json;
    assert_eq!(done["created"], 3);
    let warnings: Vec<u64> = done["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["line"].as_u64().unwrap())
        .collect();
    // Lines 2 and 3: the clock changes; line 4: Bo works weekly hours, so his shift is
    // kept but does not count until he is switched to shifts — said, not hidden.
    assert_eq!(warnings, [2, 3, 4]);
    let bo_warning = done["warnings"][2]["message"].as_str().unwrap();
    assert!(
        bo_warning.contains("bo@region.se works weekly hours"),
        "{bo_warning}"
    );
    let shifts = app
        .get(&format!("/api/v1/employees/{anna}/shifts"), &app.admin)
        .await
        .expect(200)
        .json;
    assert_eq!(
        shifts["items"][0]["ends_at"], "2026-03-29T01:00:00Z",
        "02:30 does not exist: 03:00 CEST"
    );
    assert_eq!(
        shifts["items"][1]["starts_at"], "2026-10-25T00:30:00Z",
        "02:30 twice: the earlier"
    );
    assert_eq!(shifts["items"][1]["kind"], "on_call");

    // iCalendar, one employee's calendar.
    let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Schema//SV\r\n\
               BEGIN:VEVENT\r\nUID:1\r\nSUMMARY:Dag\r\nDTSTART;TZID=Europe/Stockholm:20261123T070000\r\nDTEND;TZID=Europe/Stockholm:20261123T153000\r\nEND:VEVENT\r\n\
               BEGIN:VEVENT\r\nUID:2\r\nSUMMARY:Beredskap\r\nDTSTART:20261123T200000Z\r\nDTEND:20261124T060000Z\r\nEND:VEVENT\r\n\
               END:VCALENDAR\r\n";
    let ical = |path: String, body: &str| {
        app.client
            .post(format!("{}{path}", app.base))
            .bearer_auth(&app.admin)
            .header("content-type", "text/calendar")
            .body(body.to_owned())
            .send()
    };
    assert_eq!(
        ical("/api/v1/import/shifts".into(), ics)
            .await
            .unwrap()
            .status()
            .as_u16(),
        422,
        "needs ?employee_id="
    );
    let response = ical(format!("/api/v1/import/shifts?employee_id={bo}"), ics)
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let shifts = app
        .get(
            &format!("/api/v1/employees/{bo}/shifts?from=2026-11-23T00:00:00Z"),
            &app.admin,
        )
        .await
        .expect(200)
        .json;
    let items = shifts["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["starts_at"], "2026-11-23T06:00:00Z");
    assert_eq!(items[1]["kind"], "on_call");
    // The same calendar again overlaps what is stored: refused at the event's line.
    let response = ical(format!("/api/v1/import/shifts?employee_id={bo}"), ics)
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["errors"][0]["line"], 4);
}
both_stores!(shift_rosters_import_from_csv_and_icalendar);
