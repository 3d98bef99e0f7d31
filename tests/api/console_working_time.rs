//! Working time in the console, as the admin keeps it and a ward manager reads it: a
//! person switched to shifts and their coming shifts shown on their page; a unit's or
//! person's weekly hours readable by their manager, changeable only by an admin.
use chrono::{Duration, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::{
    console::Browser,
    helpers::{TestApp, both_stores},
    notices::add_shift,
};

async fn managers_read_their_peoples_hours_and_shifts_admins_switch_them(app: TestApp) {
    let unit = app.unit("Avd 14", None).await;
    let other = app.unit("Avd 15", None).await;
    let role = app.role("Undersköterska").await;
    let siv = app.employee("siv@region.se", &unit, &role).await;
    let ola = app.employee("ola@region.se", &other, &role).await;
    app.put(
        &format!("/api/v1/employees/{siv}/working-hours"),
        &app.admin,
        json!({"working_hours": {"mon": [{"start": "07:00", "end": "15:30"}]}}),
    )
    .await
    .expect(200);

    // The admin switches Siv to shifts on her page; her coming shift is listed there.
    let admin = Browser::signed_in(&app, &app.admin).await;
    let page = admin.get(&format!("/console/employees/{siv}")).await;
    assert!(
        page.html.contains("id=\"schedule-mode\">Veckoschema"),
        "{}",
        page.html
    );
    let switched = admin
        .post(
            &format!("/console/employees/{siv}"),
            &[
                ("csrf", page.csrf().as_str()),
                ("unit_id", unit.as_str()),
                ("role_id", role.as_str()),
                ("employment_type", "permanent"),
                ("schedule_mode", "shifts"),
            ],
        )
        .await;
    assert_eq!(switched.status, StatusCode::SEE_OTHER, "{}", switched.html);
    let api = app
        .get(&format!("/api/v1/employees/{siv}"), &app.admin)
        .await
        .json;
    assert_eq!(api["schedule_mode"], "shifts");
    let no_shifts = admin.get(&format!("/console/employees/{siv}")).await.html;
    assert!(
        no_shifts.contains("Inga pass de kommande två veckorna"),
        "{no_shifts}"
    );
    let start = Utc::now() + Duration::days(2);
    add_shift(&app, &siv, start).await;
    let with_shift = admin.get(&format!("/console/employees/{siv}")).await.html;
    assert!(with_shift.contains("id=\"shifts\""), "{with_shift}");
    assert!(with_shift.contains("<td>Arbetspass</td>"), "{with_shift}");

    // Her manager reads the hours of his own people, without a form to change them,
    // and not those of another unit's.
    let manager = app
        .token(json!({"name": "Chef Avd 14", "role": "manager", "unit_ids": [unit]}))
        .await;
    let boss = Browser::signed_in(&app, &manager).await;
    let hours = boss.get(&format!("/console/hours/employees/{siv}")).await;
    assert_eq!(hours.status, StatusCode::OK);
    assert!(hours.html.contains("07:00-15:30"), "{}", hours.html);
    assert!(
        !hours
            .html
            .contains("<form method=\"post\" action=\"/console/hours")
    );
    let unit_hours = boss.get(&format!("/console/hours/units/{unit}")).await;
    assert_eq!(unit_hours.status, StatusCode::OK);
    let elsewhere = boss.get(&format!("/console/hours/employees/{ola}")).await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
    let shifts = boss.get(&format!("/console/employees/{siv}")).await.html;
    assert!(shifts.contains("<td>Arbetspass</td>"), "{shifts}");
    // Changing them stays the admin's.
    let refused = boss
        .post(
            &format!("/console/hours/employees/{siv}"),
            &[("csrf", hours.csrf().as_str()), ("mon", "06:00-14:00")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
both_stores!(managers_read_their_peoples_hours_and_shifts_admins_switch_them);

/// Where the organisation lets the wards keep their own schedules, an admin ticks one
/// box and a manager changes the hours of their units and people (console and API
/// alike), never another unit's; untick it and the hours are the admin's again.
async fn managers_change_their_peoples_hours_where_the_admin_allows(app: TestApp) {
    let unit = app.unit("Avd 16", None).await;
    let other = app.unit("Avd 17", None).await;
    let role = app.role("Undersköterska").await;
    let siv = app.employee("siv@region.se", &unit, &role).await;
    let ola = app.employee("ola@region.se", &other, &role).await;
    let manager = app
        .token(json!({"name": "Chef Avd 16", "role": "manager", "unit_ids": [unit]}))
        .await;
    let week = json!({"working_hours": {"tue": [{"start": "07:00", "end": "16:00"}]}});
    let siv_hours = format!("/api/v1/employees/{siv}/working-hours");
    app.put(&siv_hours, &manager, week.clone())
        .await
        .expect(403);

    // The admin allows it on the working-time page.
    let admin = Browser::signed_in(&app, &app.admin).await;
    let page = admin.get("/console/working-time").await;
    assert!(
        page.html.contains("id=\"w-managers_edit_hours\""),
        "{}",
        page.html
    );
    let allow = |csrf: String, on: bool| {
        let mut form = vec![
            ("csrf", csrf),
            ("time_zone", "Europe/Stockholm".to_owned()),
            ("release_delay_minutes", "0".to_owned()),
        ];
        if on {
            form.push(("managers_edit_hours", "true".to_owned()));
        }
        form
    };
    let form = allow(page.csrf(), true);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let saved = admin.post("/console/working-time/policy", &form).await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let policy = app.get("/api/v1/policy", &app.admin).await.expect(200).json;
    assert_eq!(policy["managers_edit_hours"], true);

    // The manager: their person's hours through the API, their unit's in the console.
    app.put(&siv_hours, &manager, week.clone())
        .await
        .expect(200);
    app.put(
        &format!("/api/v1/employees/{ola}/working-hours"),
        &manager,
        week.clone(),
    )
    .await
    .expect(404);
    let boss = Browser::signed_in(&app, &manager).await;
    let person = boss.get(&format!("/console/employees/{siv}")).await.html;
    assert!(
        person.contains(&format!("href=\"/console/hours/units/{unit}\"")),
        "the unit's hours are a link away: {person}"
    );
    let unit_page = boss.get(&format!("/console/hours/units/{unit}")).await;
    assert!(
        unit_page.html.contains(&format!(
            "<form method=\"post\" action=\"/console/hours/units/{unit}\""
        )),
        "{}",
        unit_page.html
    );
    let changed = boss
        .post(
            &format!("/console/hours/units/{unit}"),
            &[
                ("csrf", unit_page.csrf().as_str()),
                ("mon", "06:30-15:00"),
                ("step", "save"),
            ],
        )
        .await;
    assert_eq!(changed.status, StatusCode::SEE_OTHER, "{}", changed.html);
    let kept = admin
        .get(&format!("/console/hours/units/{unit}"))
        .await
        .html;
    assert!(kept.contains("value=\"06:30-15:00\""), "{kept}");
    let elsewhere = boss
        .post(
            &format!("/console/hours/units/{other}"),
            &[
                ("csrf", unit_page.csrf().as_str()),
                ("mon", "06:30-15:00"),
                ("step", "save"),
            ],
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);

    // Unticked, the hours are the admin's again.
    let page = admin.get("/console/working-time").await;
    let form = allow(page.csrf(), false);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    admin.post("/console/working-time/policy", &form).await;
    app.put(&siv_hours, &manager, week).await.expect(403);
}
both_stores!(managers_change_their_peoples_hours_where_the_admin_allows);
