//! A form the console refuses comes back as it was typed: its own page (422), the
//! refusal above it in Swedish, linked to the field it is about, the field marked
//! invalid, every value still in its field — and nothing changed.
use reqwest::StatusCode;
use serde_json::json;

use crate::{
    console::Browser,
    helpers::{TestApp, both_stores},
};

/// One form to refuse: the page it is on, where it posts, what is typed, the id of the
/// field the refusal is about, and what must still be in the form.
struct Refusal<'a> {
    page: String,
    post: String,
    fields: Vec<(&'a str, String)>,
    anchor: &'a str,
    kept: Vec<String>,
}

async fn refused_and_kept(browser: &Browser, refusal: Refusal<'_>) {
    let csrf = browser.get(&refusal.page).await.csrf();
    let mut form: Vec<(&str, &str)> = vec![("csrf", &csrf)];
    form.extend(refusal.fields.iter().map(|(k, v)| (*k, v.as_str())));
    let answer = browser.post(&refusal.post, &form).await;
    let html = &answer.html;
    let what = &refusal.post;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {html}"
    );
    assert!(html.contains("Formuläret behöver rättas"), "{what}: {html}");
    let anchor = refusal.anchor;
    assert!(
        html.contains(&format!("<a href=\"#{anchor}\">")),
        "{what}: the refusal links to its field: {html}"
    );
    let field = html
        .split(&format!("id=\"{anchor}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("{what}: no field #{anchor}: {html}"));
    let tag = field.split('>').next().unwrap();
    assert!(
        tag.contains("aria-invalid=\"true\""),
        "{what}: #{anchor} is marked: {tag}"
    );
    for kept in &refusal.kept {
        assert!(html.contains(kept.as_str()), "{what}: {kept} kept: {html}");
    }
}

async fn every_form_comes_back_as_typed_when_refused(app: TestApp) {
    let unit = app.unit("Avd 3", None).await;
    let role = app.role("Undersköterska").await;
    let person = app.employee("anna@example.se", &unit, &role).await;
    let device = app.device("KEEP-1", json!({})).await.expect(201).id();
    let subscription = app
        .subscription("+46701234567", json!({}))
        .await
        .expect(201)
        .id();
    let browser = Browser::signed_in(&app, &app.admin).await;
    let counts = [
        app.count("units").await,
        app.count("api_tokens").await,
        app.count("device_profiles").await,
        app.count("rollout_rules").await,
        app.count("notice_templates").await,
    ];
    let units_before = app.count("units").await;
    let refusals = vec![
        Refusal {
            page: "/console/units/new".into(),
            post: "/console/units".into(),
            fields: vec![
                ("name", "Avd Ny".into()),
                ("cost_center", "CC-77".into()),
                ("managers", "ingen@example.se".into()),
            ],
            anchor: "u-managers",
            kept: vec![
                "value=\"Avd Ny\"".into(),
                "value=\"CC-77\"".into(),
                ">ingen@example.se</textarea>".into(),
            ],
        },
        Refusal {
            page: "/console/tokens".into(),
            post: "/console/tokens".into(),
            fields: vec![
                ("name", "Driftkonto".into()),
                ("role", "admin".into()),
                ("employee_email", "anna@example.se".into()),
                ("unit_ids", unit.clone()),
            ],
            anchor: "t-confirm_admin",
            kept: vec![
                "value=\"Driftkonto\"".into(),
                "value=\"admin\" checked".into(),
                format!("value=\"{unit}\" checked"),
            ],
        },
        Refusal {
            page: format!("/console/hours/units/{unit}"),
            post: format!("/console/hours/units/{unit}"),
            fields: vec![
                ("time_zone", "Europe/Stockholm".into()),
                ("mon", "07:00-16:00".into()),
                ("tue", "07:00-25:00".into()),
                ("step", "save".into()),
            ],
            anchor: "w-tue",
            kept: vec![
                "value=\"07:00-25:00\"".into(),
                "value=\"07:00-16:00\"".into(),
            ],
        },
        Refusal {
            page: "/console/working-time".into(),
            post: "/console/working-time/policy".into(),
            fields: vec![
                ("time_zone", "Europe/Stockholm".into()),
                ("release_delay_minutes", "en kvart".into()),
                ("wed", "08:00-12:00".into()),
            ],
            anchor: "w-release_delay_minutes",
            kept: vec!["value=\"en kvart\"".into(), "value=\"08:00-12:00\"".into()],
        },
        Refusal {
            page: "/console/rollout".into(),
            post: "/console/rollout/profiles".into(),
            fields: vec![
                ("name", "Vårdtelefon".into()),
                ("device_kind", "tablet".into()),
                ("device_price", "gratis".into()),
                ("setup_cost", "100".into()),
                ("monthly_subscription_cost", "99".into()),
                ("monthly_support_cost", "10".into()),
                ("lifetime_months", "24".into()),
            ],
            anchor: "p-device_price",
            kept: vec![
                "value=\"Vårdtelefon\"".into(),
                "value=\"gratis\"".into(),
                "value=\"24\"".into(),
                "value=\"tablet\" selected".into(),
            ],
        },
        Refusal {
            page: "/console/rollout".into(),
            post: "/console/rollout/rules".into(),
            fields: vec![
                ("role_id", role.clone()),
                ("unit_id", unit.clone()),
                ("wave", "första".into()),
            ],
            anchor: "r-wave",
            kept: vec![
                "value=\"första\"".into(),
                format!("value=\"{unit}\" selected"),
            ],
        },
        Refusal {
            page: "/console/notice-templates".into(),
            post: "/console/notice-templates".into(),
            fields: vec![
                ("name", "Möte".into()),
                ("title", "Personalmöte".into()),
                ("body", "Kl 14 i matsalen".into()),
                ("priority", String::new()),
            ],
            anchor: "t-priority",
            kept: vec![
                "value=\"Personalmöte\"".into(),
                ">Kl 14 i matsalen</textarea>".into(),
            ],
        },
        Refusal {
            page: format!("/console/devices/{device}"),
            post: format!("/console/devices/{device}/assign"),
            fields: vec![("employee", "Ingen Alls".into())],
            anchor: "employee",
            kept: vec!["value=\"Ingen Alls\"".into()],
        },
        Refusal {
            page: format!("/console/employees/{person}"),
            post: format!("/console/employees/{person}/hand-out"),
            fields: vec![("device", "FINNS-EJ-9".into())],
            anchor: "e-device",
            kept: vec!["value=\"FINNS-EJ-9\"".into()],
        },
        Refusal {
            page: format!("/console/employees/{person}"),
            post: format!("/console/employees/{person}"),
            fields: vec![
                ("unit_id", unit.clone()),
                ("role_id", role.clone()),
                ("employment_type", "temporary".into()),
                ("employment_ends_on", String::new()),
            ],
            anchor: "e-employment_ends_on",
            kept: vec!["value=\"temporary\" selected".into()],
        },
        Refusal {
            page: format!("/console/subscriptions/{subscription}"),
            post: format!("/console/subscriptions/{subscription}/assign"),
            fields: vec![("device_serial", "FINNS-EJ-7".into())],
            anchor: "device_serial",
            kept: vec!["value=\"FINNS-EJ-7\"".into()],
        },
    ];
    for refusal in refusals {
        refused_and_kept(&browser, refusal).await;
    }
    // Nothing was written.
    assert_eq!(app.count("units").await, units_before);
    let after = [
        app.count("units").await,
        app.count("api_tokens").await,
        app.count("device_profiles").await,
        app.count("rollout_rules").await,
        app.count("notice_templates").await,
    ];
    assert_eq!(after, counts);
    let held = app.device_json(&device).await;
    assert_eq!(held["status"], "in_stock");
    let anna = app
        .get(&format!("/api/v1/employees/{person}"), &app.admin)
        .await
        .expect(200)
        .json;
    assert_eq!(anna["employment_type"], "permanent");

    // Mina sidor: focus until a time that is not one.
    let mine = app
        .token(json!({"name": "Anna", "role": "employee", "employee_id": person}))
        .await;
    let nurse = Browser::signed_in(&app, &mine).await;
    refused_and_kept(
        &nurse,
        Refusal {
            page: "/console/me".into(),
            post: "/console/me/focus".into(),
            fields: vec![("until", "25:61".into())],
            anchor: "until",
            kept: vec!["value=\"25:61\"".into()],
        },
    )
    .await;
}
both_stores!(every_form_comes_back_as_typed_when_refused);
