//! Notice templates: kept per organisation, checked like a notice's text, started from
//! in the console's compose form, removed; never seen by another organisation.
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::{
    console::Browser,
    helpers::{TestApp, both_stores},
};

async fn templates_are_kept_checked_started_from_and_removed(app: TestApp) {
    let unit = app.unit("Avd 3", None).await;
    let manager = app
        .token(json!({"name": "Chef Avd 3", "role": "manager", "unit_ids": [unit]}))
        .await;
    let meeting = app
        .post(
            "/api/v1/notice-templates",
            &manager,
            json!({"name": "Personalmöte", "title": "Personalmöte torsdag",
                "body": "Kl 14 i konferensrummet.", "priority": "important"}),
        )
        .await
        .expect(201)
        .id();
    // The same name twice, or a text no phone could show: refused, nothing written.
    app.post(
        "/api/v1/notice-templates",
        &manager,
        json!({"name": "Personalmöte", "title": "x", "body": "y", "priority": "info"}),
    )
    .await
    .expect(409);
    let bad = app
        .post(
            "/api/v1/notice-templates",
            &manager,
            json!({"name": "Tom", "title": " ", "body": "x".repeat(701), "priority": "info"}),
        )
        .await
        .expect(422);
    assert_eq!(bad.error_fields(), ["title", "body"]);
    let listed = app
        .get("/api/v1/notice-templates", &app.admin)
        .await
        .expect(200);
    assert_eq!(listed.json["items"].as_array().unwrap().len(), 1);
    // Another organisation sees none of it.
    let (_, other) = app.other_tenant().await;
    let theirs = app
        .get("/api/v1/notice-templates", &other)
        .await
        .expect(200);
    assert_eq!(theirs.json["items"], json!([]));
    app.get(&format!("/api/v1/notice-templates/{meeting}"), &other)
        .await
        .expect(404);

    // In the console: the compose form starts from it, filled in.
    let browser = Browser::signed_in(&app, &manager).await;
    let compose = browser.get("/console/notices/new").await.html;
    assert!(
        compose.contains(&format!(
            "/console/notices/new?template={meeting}\">Personalmöte<"
        )),
        "{compose}"
    );
    let filled = browser
        .get(&format!("/console/notices/new?template={meeting}"))
        .await
        .html;
    assert!(
        filled.contains("value=\"Personalmöte torsdag\""),
        "{filled}"
    );
    assert!(filled.contains(">Kl 14 i konferensrummet.</textarea>"));
    assert!(filled.contains("value=\"important\" checked"), "{filled}");
    // Made and removed on the templates page.
    let page = browser.get("/console/notice-templates").await;
    let csrf = page.csrf();
    let made = browser
        .post(
            "/console/notice-templates",
            &[
                ("csrf", csrf.as_str()),
                ("name", "Ny rutin"),
                ("title", "Ny rutin för läkemedel"),
                ("body", "Läs den före passet."),
                ("priority", "info"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER);
    let page = browser.get("/console/notice-templates").await.html;
    assert!(page.contains(">Ny rutin</a>"), "{page}");
    let removed = browser
        .post(
            &format!("/console/notice-templates/{meeting}/delete"),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    app.call(
        Method::GET,
        &format!("/api/v1/notice-templates/{meeting}"),
        Some(&app.admin),
        None,
    )
    .await
    .expect(404);
}
both_stores!(templates_are_kept_checked_started_from_and_removed);
