//! The console over HTTP, as a browser without JavaScript uses it: sign-in per role,
//! scopes, CSRF, security headers, and each user's main jobs. (The browser tests in
//! `console_browser` drive a real Chromium through the same pages.)
use chrono::Duration;
use reqwest::{StatusCode, multipart};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, both_stores, imei},
    notices::{always_working, employee_token, phone, quiet_policy, shift_worker},
};

/// A browser: its own cookie jar, no redirects followed unless asked.
pub struct Browser {
    client: reqwest::Client,
    base: String,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub html: String,
}

impl Page {
    /// The CSRF token the page's forms carry.
    pub fn csrf(&self) -> String {
        let start = self
            .html
            .find("name=\"csrf\" value=\"")
            .expect("a form with a CSRF token")
            + "name=\"csrf\" value=\"".len();
        let end = self.html[start..].find('"').unwrap();
        self.html[start..start + end].to_owned()
    }
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.base.clone(),
        }
    }

    async fn page(response: reqwest::Response) -> Page {
        Page {
            status: response.status(),
            location: response
                .headers()
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned()),
            html: response.text().await.unwrap(),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        self.visit(&format!("{}{path}", self.base)).await
    }

    /// A download: its content type and bytes.
    pub async fn download(&self, path: &str) -> (String, Vec<u8>) {
        let answer = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{path}");
        let content_type = answer.headers()[reqwest::header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        (content_type, answer.bytes().await.unwrap().to_vec())
    }

    /// The app's address, `http://127.0.0.1:<port>`.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Opens an absolute URL (another site: an identity provider).
    pub async fn visit(&self, url: &str) -> Page {
        Self::page(self.client.get(url).send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.post_absolute(&format!("{}{path}", self.base), form)
            .await
    }

    /// Posts a form to an absolute URL (another site's: an identity provider's).
    pub async fn post_absolute(&self, url: &str, form: &[(&str, &str)]) -> Page {
        Self::page(self.client.post(url).form(form).send().await.unwrap()).await
    }

    pub async fn post_multipart(&self, path: &str, form: multipart::Form) -> Page {
        Self::page(
            self.client
                .post(format!("{}{path}", self.base))
                .multipart(form)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Signs in with a token; answers where the console sent us.
    pub async fn sign_in(&self, token: &str) -> Page {
        let form = self.get("/console/sign-in").await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = form.csrf();
        self.post(
            "/console/sign-in",
            &[("csrf", &csrf), ("token", token), ("next", "/console")],
        )
        .await
    }

    pub async fn signed_in(app: &TestApp, token: &str) -> Browser {
        let browser = Browser::new(app);
        let page = browser.sign_in(token).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
        browser
    }
}

async fn each_role_starts_in_its_own_console_and_sees_only_its_scope(app: TestApp) {
    let unit = app.unit("Avd 1", None).await;
    let other = app.unit("Avd 2", None).await;
    let role = app.role("Undersköterska").await;
    let anna = app.employee("anna@example.se", &unit, &role).await;
    app.device("SER-A", json!({"unit_id": unit}))
        .await
        .expect(201);
    app.device("SER-B", json!({"unit_id": other}))
        .await
        .expect(201);
    let manager = app
        .token(json!({"name": "Chef Avd 1", "role": "manager", "unit_ids": [unit]}))
        .await;
    let employee = employee_token(&app, &anna).await;

    let admin = Browser::new(&app);
    let signed = admin.sign_in(&app.admin).await;
    assert_eq!(signed.location.as_deref(), Some("/console"));
    let dashboard = admin.get("/console").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(dashboard.html.contains("<html lang=\"sv\">"));
    assert!(dashboard.html.contains("Översikt"));
    // Every number is a link to the list behind it.
    assert!(
        dashboard
            .html
            .contains("href=\"/console/devices?status=in_stock\"")
    );
    let all = admin.get("/console/devices").await.html;
    assert!(all.contains("SER-A") && all.contains("SER-B"));

    let boss = Browser::new(&app);
    assert_eq!(
        boss.sign_in(&manager).await.location.as_deref(),
        Some("/console/notices")
    );
    let theirs = boss.get("/console/devices").await.html;
    assert!(theirs.contains("SER-A"));
    assert!(!theirs.contains("SER-B"), "a manager sees only their units");
    assert_eq!(
        boss.get("/console/import").await.status,
        StatusCode::FORBIDDEN
    );

    let staff = Browser::new(&app);
    assert_eq!(
        staff.sign_in(&employee).await.location.as_deref(),
        Some("/console/me")
    );
    assert_eq!(staff.get("/console/me").await.status, StatusCode::OK);
    assert_eq!(
        staff.get("/console/devices").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        staff.get("/console/notices").await.status,
        StatusCode::FORBIDDEN
    );

    // Another tenant's admin reaches none of this tenant's devices.
    let (_, other_admin) = app.other_tenant().await;
    let stranger = Browser::signed_in(&app, &other_admin).await;
    let page = stranger.get("/console/devices").await.html;
    assert!(!page.contains("SER-A") && !page.contains("SER-B"));
}
both_stores!(each_role_starts_in_its_own_console_and_sees_only_its_scope);

async fn sign_in_refuses_bad_tokens_and_revoking_ends_the_session(app: TestApp) {
    let browser = Browser::new(&app);
    let refused = browser.sign_in("stl_not-a-token").await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert!(refused.html.contains("Inloggningen misslyckades"));
    let away = browser.get("/console").await;
    assert_eq!(away.status, StatusCode::SEE_OTHER);
    assert!(away.location.unwrap().starts_with("/console/sign-in?next="));

    // A sign-in form posted without the browser's own CSRF cookie is refused.
    let bare = Browser::new(&app)
        .post(
            "/console/sign-in",
            &[
                ("csrf", "forged"),
                ("token", &app.admin),
                ("next", "/console"),
            ],
        )
        .await;
    assert_eq!(bare.status, StatusCode::UNAUTHORIZED);

    let token = app
        .token(json!({"name": "temp admin", "role": "admin"}))
        .await;
    let signed = Browser::signed_in(&app, &token).await;
    assert_eq!(signed.get("/console").await.status, StatusCode::OK);
    let id = app.get("/api/v1/tokens", &app.admin).await.expect(200).json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "temp admin")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.call(
        reqwest::Method::DELETE,
        &format!("/api/v1/tokens/{id}"),
        Some(&app.admin),
        None,
    )
    .await
    .expect(204);
    assert_eq!(signed.get("/console").await.status, StatusCode::SEE_OTHER);

    // Signing out ends the session for good.
    let admin = Browser::signed_in(&app, &app.admin).await;
    let csrf = admin.get("/console").await.csrf();
    let out = admin.post("/console/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(admin.get("/console").await.status, StatusCode::SEE_OTHER);
}
both_stores!(sign_in_refuses_bad_tokens_and_revoking_ends_the_session);

async fn pages_carry_security_headers_and_switch_language(app: TestApp) {
    let browser = Browser::signed_in(&app, &app.admin).await;
    let response = reqwest::Client::new()
        .get(format!("{}/console/sign-in", app.base))
        .send()
        .await
        .unwrap();
    let headers = response.headers();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe-inline"));
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["cache-control"], "no-store");
    let cookie = headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    let html = response.text().await.unwrap();
    assert!(!html.contains("<style") && !html.contains(" style=") && !html.contains("<script>"));

    let switched = browser
        .get("/console/language/en?next=%2Fconsole%2Fdevices")
        .await;
    assert_eq!(switched.location.as_deref(), Some("/console/devices"));
    let english = browser.get("/console/devices?status=in_stock").await.html;
    assert!(english.contains("<html lang=\"en\">") && english.contains("Devices"));
    // The page's own switch comes back to it, filter and all.
    assert!(
        english.contains("/console/language/sv?next=%2Fconsole%2Fdevices%3Fstatus%3Din_stock"),
        "{english}"
    );
    // Never back to another site.
    let outside = browser
        .get("/console/language/sv?next=https://evil.example")
        .await;
    assert_eq!(outside.location.as_deref(), Some("/console"));
    // Assets are served from the binary.
    let css = browser.get("/console/assets/console.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.html.contains(":focus-visible"));
}
both_stores!(pages_carry_security_headers_and_switch_language);

async fn admin_assigns_and_retires_a_device_with_csrf_checked(app: TestApp) {
    let unit = app.unit("Avd 3", None).await;
    let role = app.role("Sjuksköterska").await;
    app.employee("bo@example.se", &unit, &role).await;
    let device = app
        .device("SER-C", json!({"imei": imei(7)}))
        .await
        .expect(201)
        .id();
    let browser = Browser::signed_in(&app, &app.admin).await;
    let page = browser.get(&format!("/console/devices/{device}")).await;
    // In stock: assign, send to repair and retire are offered; receive is not.
    assert!(
        page.html
            .contains(&format!("/console/devices/{device}/assign"))
    );
    assert!(
        page.html
            .contains(&format!("/console/devices/{device}/retire"))
    );
    assert!(
        !page
            .html
            .contains(&format!("/console/devices/{device}/receive"))
    );
    let csrf = page.csrf();

    let forged = browser
        .post(
            &format!("/console/devices/{device}/assign"),
            &[("csrf", "forged"), ("employee", "bo@example.se")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(app.device_json(&device).await["status"], "in_stock");

    let unknown = browser
        .post(
            &format!("/console/devices/{device}/assign"),
            &[("csrf", &csrf), ("employee", "nobody@example.se")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        unknown.html.contains("ingen har det namnet"),
        "{}",
        unknown.html
    );
    // A person and a unit at once: refused, not one of them dropped.
    let both = browser
        .post(
            &format!("/console/devices/{device}/assign"),
            &[
                ("csrf", &csrf),
                ("employee", "bo@example.se"),
                ("unit_id", &unit),
            ],
        )
        .await;
    assert_eq!(both.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(both.html.contains("inte båda"), "{}", both.html);
    assert_eq!(app.device_json(&device).await["status"], "in_stock");

    let assigned = browser
        .post(
            &format!("/console/devices/{device}/assign"),
            &[("csrf", &csrf), ("employee", "BO@example.se")],
        )
        .await;
    assert_eq!(assigned.status, StatusCode::SEE_OTHER);
    let shown = browser
        .get(assigned.location.as_deref().unwrap())
        .await
        .html;
    assert!(shown.contains("Utrustningen är utdelad."));
    assert!(shown.contains("id=\"device-status\">Utdelad"));

    // Retiring cannot be undone: not without the box ticked.
    let unconfirmed = browser
        .post(
            &format!("/console/devices/{device}/retire"),
            &[("csrf", &csrf), ("reason", "broken")],
        )
        .await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.device_json(&device).await["status"], "assigned");
    let retired = browser
        .post(
            &format!("/console/devices/{device}/retire"),
            &[("csrf", &csrf), ("reason", "broken"), ("confirm", "yes")],
        )
        .await;
    assert_eq!(retired.status, StatusCode::SEE_OTHER);
    let after = app
        .get(&format!("/api/v1/devices/{device}"), &app.admin)
        .await;
    assert_eq!(after.json["status"], "retired");
    assert_eq!(after.json["retired_reason"], "broken");
    let history = browser
        .get(&format!("/console/devices/{device}"))
        .await
        .html;
    assert!(history.contains(">assign<") && history.contains(">retire<"));
    // Retired: nothing more to do.
    assert!(!history.contains(&format!("/console/devices/{device}/assign")));
}
both_stores!(admin_assigns_and_retires_a_device_with_csrf_checked);

fn csv_upload(csrf: &str, csv: &str, dry_run: bool) -> multipart::Form {
    let mut form = multipart::Form::new()
        .text("csrf", csrf.to_owned())
        .text("kind", "devices")
        .part(
            "file",
            multipart::Part::bytes(csv.as_bytes().to_vec())
                .file_name("devices.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
    if dry_run {
        form = form.text("dry_run", "true");
    }
    form
}

async fn import_shows_every_row_error_then_the_plan_then_imports(app: TestApp) {
    let browser = Browser::signed_in(&app, &app.admin).await;
    let csrf = browser.get("/console/import").await.csrf();
    let bad = "kind;manufacturer;model;serial_number;ownership;imei\n\
               phone;Apple;iPhone 15;IMP-1;organization;\n\
               phone;Apple;iPhone 15;IMP-2;organization;123\n";
    let rejected = browser
        .post_multipart("/console/import", csv_upload(&csrf, bad, true))
        .await;
    assert_eq!(rejected.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        rejected
            .html
            .contains("<td class=\"num\">3</td><td>IMEI</td>")
    );
    assert_eq!(app.count("devices").await, 0);

    let good = bad.replace(";123", &format!(";{}", imei(42)));
    let plan = browser
        .post_multipart("/console/import", csv_upload(&csrf, &good, true))
        .await;
    assert_eq!(plan.status, StatusCode::OK);
    assert!(plan.html.contains("2 rader skapas"));
    assert!(plan.html.contains("IMP-2"));
    assert_eq!(app.count("devices").await, 0, "a dry run writes nothing");

    // Confirming sends the same text back from the plan page.
    let start = plan.html.find("name=\"csv_text\" value=\"").unwrap() + 23;
    let end = plan.html[start..].find('"').unwrap();
    let echoed = plan.html[start..start + end]
        .replace("&#10;", "\n")
        .replace("&#x0a;", "\n");
    assert!(echoed.contains("IMP-1"));
    let confirm = multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("kind", "devices")
        .text("csv_text", good.clone());
    let done = browser.post_multipart("/console/import", confirm).await;
    assert_eq!(done.status, StatusCode::OK);
    assert!(done.html.contains("2 rader importerades."));
    assert_eq!(app.count("devices").await, 2);
}
both_stores!(import_shows_every_row_error_then_the_plan_then_imports);

async fn manager_previews_now_later_expired_then_sends(app: TestApp) {
    quiet_policy(&app).await;
    let unit = app.unit("Avd 5", None).await;
    let role = app.role("Sjuksköterska").await;
    let now_person = app.employee("nu@example.se", &unit, &role).await;
    always_working(&app, &now_person).await;
    phone(&app, &now_person).await;
    let later = app.employee("sen@example.se", &unit, &role).await;
    shift_worker(&app, &later, Duration::hours(30)).await;
    phone(&app, &later).await;
    // At work, but with no app registered: the notice reaches her inbox only.
    let no_app = app.employee("utan@example.se", &unit, &role).await;
    always_working(&app, &no_app).await;
    let manager = app
        .token(json!({"name": "Chef Avd 5", "role": "manager", "unit_ids": [unit]}))
        .await;
    let browser = Browser::signed_in(&app, &manager).await;
    let compose = browser.get("/console/notices/new").await;
    assert!(compose.html.contains("Avd 5"));
    // Without can_send_urgent, urgent is not offered.
    assert!(!compose.html.contains("value=\"urgent\""));
    let csrf = compose.csrf();
    let expires = (chrono::Utc::now() + Duration::hours(20))
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let form = [
        ("csrf", csrf.as_str()),
        ("key", "k-1"),
        ("title", "Ny rutin"),
        ("body", "Läs rutinen för läkemedel."),
        ("priority", "info"),
        ("unit_ids", unit.as_str()),
        ("expires_at", expires.as_str()),
        ("step", "preview"),
    ];
    let preview = browser.post("/console/notices/new", &form).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.html);
    assert!(preview.html.contains("id=\"preview-now\">1<"));
    assert!(preview.html.contains("id=\"preview-expired\">1<"));
    assert!(preview.html.contains("id=\"preview-held\">0<"));
    assert!(preview.html.contains("id=\"preview-no-device\">1<"));
    // "Skicka" comes after what it sends is shown, and still submits the form.
    let send_at = preview.html.find("id=\"send\"").expect("a send button");
    assert!(send_at > preview.html.find("id=\"preview-title\"").unwrap());
    assert!(
        preview
            .html
            .contains("form=\"compose\" name=\"step\" value=\"send\"")
    );
    // Only those a push will reach have a "when".
    assert!(
        preview
            .html
            .contains("<td>ingen app registrerad</td><td></td>"),
        "{}",
        preview.html
    );
    assert!(preview.html.contains("<td>går ut oläst</td><td></td>"));
    assert_eq!(app.count("notices").await, 0, "a preview writes nothing");

    let mut send = form;
    send[7] = ("step", "send");
    let sent = browser.post("/console/notices/new", &send).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    // A double-clicked Send sends once (the form's idempotency key).
    let again = browser.post("/console/notices/new", &send).await;
    assert_eq!(again.location, sent.location);
    assert_eq!(app.count("notices").await, 1);
    let page = browser.get(sent.location.as_deref().unwrap()).await.html;
    assert!(page.contains("Meddelandet är skickat"));
    assert!(page.contains("<dt>Gäller till</dt>"), "{page}");
    // Progress per unit: three recipients; once pushed, the one at work is reached.
    app.dispatch().await;
    let page = browser.get(sent.location.as_deref().unwrap()).await.html;
    // The people add up: reached, not yet (expiring first), inbox only.
    for (id, n) in [
        ("stat-recipients", 3),
        ("stat-reached", 1),
        ("stat-not-yet", 1),
        ("stat-without-app", 1),
    ] {
        assert!(page.contains(&format!("id=\"{id}\">{n}<")), "{id}: {page}");
    }
    assert!(
        page.contains(
            "<th scope=\"row\">Avd 5</th><td class=\"num\">3</td><td class=\"num\">1</td><td class=\"num\">0</td>"
        ),
        "{page}"
    );
    let list = browser.get("/console/notices").await.html;
    assert!(list.contains("Ny rutin"));

    // Follow-up person by person: who has it, who is waiting, who has read it.
    let notice_id = sent
        .location
        .as_deref()
        .unwrap()
        .trim_start_matches("/console/notices/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let nurse = crate::notices::employee_token(&app, &now_person).await;
    app.post(
        &format!("/api/v1/me/notices/{notice_id}/ack"),
        &nurse,
        json!({}),
    )
    .await
    .expect(200);
    let follow = |show: &str| format!("/console/notices/{notice_id}?show={show}");
    let all = browser.get(&follow("all")).await.html;
    for (person, standing) in [
        ("nu@example.se", "Lästa"),
        ("sen@example.se", "Går ut innan arbetstid"),
        ("utan@example.se", "Ingen app, bara i inkorgen"),
    ] {
        assert!(
            all.contains(&format!(
                "<th scope=\"row\">{person}</th><td>Avd 5</td><td>{standing}</td>"
            )),
            "{person}: {all}"
        );
    }
    assert!(all.contains(">Inte lästa (2)</a>"), "{all}");
    let unread = browser.get(&follow("unread")).await.html;
    assert!(
        !unread.contains("<th scope=\"row\">nu@example.se"),
        "{unread}"
    );
    assert!(
        unread.contains("<th scope=\"row\">utan@example.se"),
        "{unread}"
    );
    let read = browser.get(&follow("read")).await.html;
    assert!(read.contains("<th scope=\"row\">nu@example.se"), "{read}");
    assert!(
        !read.contains("<th scope=\"row\">utan@example.se"),
        "{read}"
    );
    assert_eq!(
        browser.get(&follow("nonsense")).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // One planned for tomorrow is announced as planned, with its time, not as sent.
    let tomorrow = (chrono::Utc::now() + Duration::days(1))
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let planned = browser
        .post(
            "/console/notices/new",
            &[
                ("csrf", csrf.as_str()),
                ("key", "k-2"),
                ("title", "Imorgon"),
                ("body", "Planerat."),
                ("priority", "info"),
                ("unit_ids", unit.as_str()),
                ("send_at", tomorrow.as_str()),
                ("step", "send"),
            ],
        )
        .await;
    assert_eq!(planned.status, StatusCode::SEE_OTHER, "{}", planned.html);
    let planned_page = browser.get(planned.location.as_deref().unwrap()).await;
    let page = planned_page.html.clone();
    assert!(!page.contains("Meddelandet är skickat"), "{page}");
    assert!(
        page.contains(&format!(
            "Meddelandet är planerat. Det skickas {}.",
            tomorrow.replace('T', " ")
        )),
        "{page}"
    );
    // Cancelling it: only once confirmed, and then it says what it stopped.
    let planned_id = planned
        .location
        .as_deref()
        .unwrap()
        .trim_start_matches("/console/notices/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let cancel = format!("/console/notices/{planned_id}/cancel");
    let csrf = planned_page.csrf();
    let unconfirmed = browser.post(&cancel, &[("csrf", csrf.as_str())]).await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    let api = format!("/api/v1/notices/{planned_id}");
    let waiting = app.get(&api, &app.admin).await.json["stats"]["scheduled"].clone();
    assert!(waiting.as_u64().unwrap() > 0, "pushes wait for tomorrow");
    assert_eq!(
        app.get(&api, &app.admin).await.json["cancelled_at"],
        Value::Null
    );
    let cancelled = browser
        .post(&cancel, &[("csrf", csrf.as_str()), ("confirm", "yes")])
        .await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER);
    let done = browser
        .get(cancelled.location.as_deref().unwrap())
        .await
        .html;
    assert!(
        done.contains(&format!("Meddelandet är återkallat. {waiting} push")),
        "{done}"
    );

    // Empty fields come back as errors in the form, with nothing written.
    let empty = browser
        .post(
            "/console/notices/new",
            &[
                ("csrf", &csrf),
                ("title", ""),
                ("body", ""),
                ("step", "preview"),
            ],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.html.contains("error-summary"));
    assert!(empty.html.contains("href=\"#title\""));
}
both_stores!(manager_previews_now_later_expired_then_sends);

async fn employee_acknowledges_and_sets_focus_time(app: TestApp) {
    quiet_policy(&app).await;
    let unit = app.unit("Avd 6", None).await;
    let role = app.role("Läkare").await;
    let eva = app.employee("eva@example.se", &unit, &role).await;
    always_working(&app, &eva).await;
    let notice = app
        .post(
            "/api/v1/notices",
            &app.admin,
            json!({"title": "Kvittera", "body": "Läs och kvittera.", "priority": "important",
                   "audience": {"employee_ids": [eva]}}),
        )
        .await
        .expect(201)
        .id();
    let token = employee_token(&app, &eva).await;
    let browser = Browser::signed_in(&app, &token).await;
    app.post(
        "/api/v1/me/push-registrations",
        &token,
        json!({"provider": "log", "token": "trial-phone"}),
    )
    .await
    .expect(201);
    let me = browser.get("/console/me").await;
    assert!(me.html.contains("Kvittera"));
    assert!(me.html.contains("Du är i tjänst nu"));
    assert!(
        me.html
            .contains("id=\"reach-why\">Du är inom din arbetstid.</p>")
    );
    // Notices come first; the phone is named in words, not by its provider's code.
    assert!(me.html.find("id=\"notices-title\"") < me.html.find("id=\"reach-title\""));
    assert!(
        me.html.contains("<li>provläge (bara i serverns logg)"),
        "{}",
        me.html
    );
    let csrf = me.csrf();
    let acked = browser
        .post(
            &format!("/console/me/notices/{notice}/ack"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(acked.status, StatusCode::SEE_OTHER);
    let inbox = app.get("/api/v1/me/notices", &token).await.expect(200);
    assert!(inbox.json["items"][0]["acked_at"].is_string());

    let focus = browser
        .post("/console/me/focus", &[("csrf", &csrf), ("minutes", "30")])
        .await;
    assert_eq!(focus.status, StatusCode::SEE_OTHER);
    let page = browser.get("/console/me").await.html;
    assert!(page.contains("Fokustid till"));
    // Why, in a sentence rather than a code.
    assert!(
        page.contains("id=\"reach-why\">Du har fokustid: meddelanden väntar"),
        "{page}"
    );
    let reach = app.get("/api/v1/me/reachability", &token).await.expect(200);
    assert_eq!(reach.json["reason"], "focus");
    let ended = browser
        .post("/console/me/focus", &[("csrf", &csrf), ("minutes", "end")])
        .await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER);
    let reach = app.get("/api/v1/me/reachability", &token).await.expect(200);
    assert_eq!(reach.json["reason"], "working_hours");
    // Or until a clock time: two hours from now, in Swedish time.
    let until = (chrono::Utc::now() + Duration::hours(2))
        .with_timezone(&chrono_tz::Europe::Stockholm)
        .format("%H:%M")
        .to_string();
    let timed = browser
        .post("/console/me/focus", &[("csrf", &csrf), ("until", &until)])
        .await;
    assert_eq!(timed.status, StatusCode::SEE_OTHER);
    let reach = app.get("/api/v1/me/reachability", &token).await.expect(200);
    assert_eq!(reach.json["reason"], "focus");
    let page = browser.get("/console/me").await.html;
    assert!(page.contains(&until), "{page}");
    let nonsense = browser
        .post("/console/me/focus", &[("csrf", &csrf), ("until", "soon")])
        .await;
    assert_eq!(nonsense.status, StatusCode::UNPROCESSABLE_ENTITY);
    browser
        .post("/console/me/focus", &[("csrf", &csrf), ("minutes", "end")])
        .await;
    // Setting and ending are two different steps in the person's trail.
    let trail = app
        .get(
            &format!("/api/v1/audit?entity_type=employee&entity_id={eva}"),
            &app.admin,
        )
        .await
        .expect(200)
        .json;
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .filter(|a| a.ends_with("-focus"))
        .collect();
    assert_eq!(
        actions,
        ["set-focus", "end-focus", "set-focus", "end-focus"]
    );
    // The console's audit page says it lists newest first, and shows Swedish time.
    let admin = Browser::signed_in(&app, &app.admin).await;
    let audit = admin.get("/console/audit").await.html;
    assert!(audit.contains("nyast först"), "{audit}");
    assert!(!audit.contains(" UTC<"), "times are local: {audit}");
}
both_stores!(employee_acknowledges_and_sets_focus_time);

async fn admin_keeps_subscriptions_tokens_and_working_time(app: TestApp) {
    let unit = app.unit("Avd 8", None).await;
    let role = app.role("Undersköterska").await;
    let lo = app.employee("lo@example.se", &unit, &role).await;
    let sub = app
        .subscription("070-111 22 33", json!({}))
        .await
        .expect(201)
        .id();
    let browser = Browser::signed_in(&app, &app.admin).await;

    // Subscriptions: found by the number typed any way, linked to a person, suspended.
    let list = browser.get("/console/subscriptions?q=0701112233").await;
    assert!(list.html.contains("+46701112233"), "{}", list.html);
    // The header's search over everything: the number however typed, a person in any
    // case, a device by part of its serial — a single hit opens its page at once,
    // several are listed each under its own heading.
    let device = app.device("SN-LO-77", json!({})).await.expect(201).id();
    let jump = |path: String| Some(path);
    let hit = browser.get("/console/search?q=070-111%2022").await;
    assert_eq!(hit.location, jump(format!("/console/subscriptions/{sub}")));
    let hit = browser.get("/console/search?q=LO%40EXAMPLE").await;
    assert_eq!(hit.location, jump(format!("/console/employees/{lo}")));
    let hit = browser.get("/console/search?q=lo-77").await;
    assert_eq!(hit.location, jump(format!("/console/devices/{device}")));
    let hits = browser.get("/console/search?q=lo").await;
    assert_eq!(hits.location, None);
    assert!(hits.html.contains(">SN-LO-77</a>"), "{}", hits.html);
    assert!(hits.html.contains("lo@example.se"), "{}", hits.html);
    let page = browser.get(&format!("/console/subscriptions/{sub}")).await;
    let csrf = page.csrf();
    let linked = browser
        .post(
            &format!("/console/subscriptions/{sub}/assign"),
            &[
                ("csrf", &csrf),
                ("employee", "lo@example.se"),
                ("device_serial", ""),
            ],
        )
        .await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER);
    let suspended = browser
        .post(
            &format!("/console/subscriptions/{sub}/suspend"),
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(suspended.status, StatusCode::SEE_OTHER);
    let api = app
        .get(&format!("/api/v1/subscriptions/{sub}"), &app.admin)
        .await;
    assert_eq!(api.json["status"], "suspended");
    assert!(api.json["employee_id"].is_string());
    let xlsx = browser
        .get("/console/subscriptions/export?status=suspended&format=xlsx")
        .await;
    assert_eq!(xlsx.status, StatusCode::OK);

    // Tokens: the secret is shown once and works; revoking stops it.
    let issued = browser
        .post(
            "/console/tokens",
            &[
                ("csrf", &csrf),
                ("name", "Chef Avd 8"),
                ("role", "manager"),
                ("unit_ids", &unit),
            ],
        )
        .await;
    assert_eq!(issued.status, StatusCode::OK);
    let start = issued.html.find("id=\"secret\" readonly value=\"").unwrap() + 28;
    let secret = &issued.html[start..start + issued.html[start..].find('"').unwrap()];
    assert!(secret.starts_with("stl_"));
    app.get("/api/v1/units", secret).await.expect(200);
    assert!(!browser.get("/console/tokens").await.html.contains(secret));
    // An admin token may change everything: only once that is confirmed.
    let tokens_before = app.count("api_tokens").await;
    let admin_token = [
        ("csrf", csrf.as_str()),
        ("name", "Integration"),
        ("role", "admin"),
    ];
    let unconfirmed = browser.post("/console/tokens", &admin_token).await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("api_tokens").await, tokens_before);
    let mut confirmed = admin_token.to_vec();
    confirmed.push(("confirm_admin", "yes"));
    let issued = browser.post("/console/tokens", &confirmed).await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.html);
    assert_eq!(app.count("api_tokens").await, tokens_before + 1);

    // Working time: the week typed as text, then Sweden's holidays for a year.
    let saved = browser
        .post(
            "/console/working-time/policy",
            &[
                ("csrf", &csrf),
                ("time_zone", "Europe/Stockholm"),
                ("release_delay_minutes", "15"),
                ("mon", "07:00-12:00, 13:00-16:00"),
                ("fri", "07:00-15:00"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let policy = app.get("/api/v1/policy", &app.admin).await.expect(200);
    assert_eq!(policy.json["working_hours"]["mon"][1]["start"], "13:00");
    assert_eq!(policy.json["release_delay_minutes"], 15);
    assert!(policy.json["working_hours"]["tue"].is_null());
    let wrong = browser
        .post(
            "/console/working-time/policy",
            &[
                ("csrf", &csrf),
                ("time_zone", "Europe/Stockholm"),
                ("release_delay_minutes", "0"),
                ("mon", "sju till fyra"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let unchanged = app.get("/api/v1/policy", &app.admin).await.expect(200);
    assert_eq!(unchanged.json["release_delay_minutes"], 15);
    browser
        .post(
            "/console/working-time/holidays",
            &[("csrf", &csrf), ("year", "2027")],
        )
        .await;
    let page = browser.get("/console/working-time").await.html;
    assert!(page.contains("2027-06-25"), "midsommarafton 2027");
    assert!(page.contains("<span lang=\"sv\">Midsommarafton</span>"));
    assert!(page.contains("value=\"07:00-12:00, 13:00-16:00\""));
    // One day at a time: a bridge day off, and a holiday the tenant works after all.
    let holidays = |policy: &serde_json::Value| -> Vec<String> {
        policy["holidays"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d.as_str().unwrap().to_owned())
            .collect()
    };
    let before = holidays(&app.get("/api/v1/policy", &app.admin).await.expect(200).json);
    for (path, date) in [("add", "2027-05-07"), ("remove", "2027-12-31")] {
        let changed = browser
            .post(
                &format!("/console/working-time/holidays/{path}"),
                &[("csrf", &csrf), ("date", date)],
            )
            .await;
        assert_eq!(changed.status, StatusCode::SEE_OTHER, "{path}");
    }
    let after = holidays(&app.get("/api/v1/policy", &app.admin).await.expect(200).json);
    assert!(after.contains(&"2027-05-07".to_owned()));
    assert!(!after.contains(&"2027-12-31".to_owned()));
    assert_eq!(after.len(), before.len(), "one added, one removed");
    let not_one = browser
        .post(
            "/console/working-time/holidays/remove",
            &[("csrf", &csrf), ("date", "2027-03-03")],
        )
        .await;
    assert_eq!(not_one.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = browser.get("/console/working-time").await.html;
    assert!(
        page.contains("value=\"2027-05-07\""),
        "listed with its remove button"
    );

    // Units and employees: a new unit under Avd 8, and Lo moved there with an end date.
    let created = browser
        .post(
            "/console/units",
            &[
                ("csrf", &csrf),
                ("name", "Avd 8 natt"),
                ("parent_id", &unit),
                ("cost_center", "K-88"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let units = app.get("/api/v1/units", &app.admin).await.json;
    let night = units["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "Avd 8 natt")
        .expect("the unit is created");
    assert_eq!(night["parent_id"], json!(unit));
    let night = night["id"].as_str().unwrap().to_owned();
    // The unit's page: renamed, moved to the top and re-costed; never under itself.
    let page = browser.get(&format!("/console/units/{night}")).await;
    assert!(page.html.contains("value=\"Avd 8 natt\""), "{}", page.html);
    assert!(page.html.contains(&format!("/console/hours/units/{night}")));
    let looped = browser
        .post(
            &format!("/console/units/{unit}"),
            &[
                ("csrf", &csrf),
                ("name", "Avd 8"),
                ("parent_id", &night),
                ("cost_center", ""),
            ],
        )
        .await;
    assert_eq!(looped.status, StatusCode::UNPROCESSABLE_ENTITY);
    let renamed = browser
        .post(
            &format!("/console/units/{night}"),
            &[
                ("csrf", &csrf),
                ("name", "Nattpatrullen"),
                ("parent_id", ""),
                ("cost_center", "K-99"),
            ],
        )
        .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER);
    let after = app
        .get(&format!("/api/v1/units/{night}"), &app.admin)
        .await
        .json;
    assert_eq!(
        (&after["name"], &after["parent_id"], &after["cost_center"]),
        (&json!("Nattpatrullen"), &json!(null), &json!("K-99"))
    );
    let parent = app
        .get(&format!("/api/v1/units/{unit}"), &app.admin)
        .await
        .json;
    assert_eq!(
        parent["parent_id"],
        json!(null),
        "the refused move changed nothing"
    );
    assert_eq!(parent["name"], "Avd 8");
    // A new person: a temporary one needs an end date; nothing is created without it.
    let role_id = app.get("/api/v1/roles", &app.admin).await.json["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let form = |ends: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("name", "Vik Tor".to_owned()),
            ("email", "vik@example.se".to_owned()),
            ("unit_id", unit.clone()),
            ("role_id", role_id.clone()),
            ("employment_type", "temporary".to_owned()),
            ("employment_ends_on", ends.to_owned()),
            ("external_id", "HR-7".to_owned()),
        ]
    };
    let refused = form("");
    let refused: Vec<(&str, &str)> = refused.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let missing = browser.post("/console/employees", &refused).await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The form again, the refusal above it in the reader's language (domain message
    // included) linked to its field, and everything typed still there.
    assert!(
        missing.html.contains(
            "<a href=\"#n-employment_ends_on\">Slutar</a>: <span lang=\"sv\">krävs för visstidsanställda och inhyrda</span>"
        ),
        "{}",
        missing.html
    );
    assert!(
        missing.html.contains("value=\"Vik Tor\""),
        "{}",
        missing.html
    );
    assert!(missing.html.contains("value=\"HR-7\""));
    assert!(
        missing
            .html
            .contains("<option value=\"temporary\" selected>")
    );
    assert!(missing.html.contains("id=\"n-employment_ends_on\""));
    assert!(missing.html.contains("Formuläret behöver rättas"));
    // What is not a refusal of what was typed (here: a person who is not there) gets the
    // error page, which leads back to the page it came from (never to another site).
    let nobody = format!(
        "{}/console/employees/{}",
        browser.base,
        uuid::Uuid::now_v7()
    );
    let moved: Vec<(&str, &str)> = vec![
        ("csrf", &csrf),
        ("unit_id", &unit),
        ("role_id", &role_id),
        ("employment_type", "permanent"),
    ];
    for (referer, back, not) in [
        (
            format!("{}/console/employees/new?unit_id={unit}", browser.base),
            format!("href=\"/console/employees/new?unit_id={unit}\""),
            "phish",
        ),
        (
            "https://evil.example/phish".to_owned(),
            "href=\"/console\"".to_owned(),
            "phish",
        ),
    ] {
        let answer = browser
            .client
            .post(&nobody)
            .header("Referer", referer)
            .form(&moved)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::NOT_FOUND);
        let html = answer.text().await.unwrap();
        assert!(
            html.contains(&back) && !html.contains(not),
            "{back}: {html}"
        );
    }
    browser.get("/console/language/en?next=/console").await;
    let english = browser.post("/console/employees", &refused).await;
    assert!(
        english
            .html
            .contains("<span lang=\"en\">is required for temporary and hired staff</span>"),
        "{}",
        english.html
    );
    browser.get("/console/language/sv?next=/console").await;
    let none = app
        .get("/api/v1/employees?q=vik%40example", &app.admin)
        .await
        .json;
    assert_eq!(none["items"], json!([]), "nothing created");
    let valid = form("2027-03-31");
    let valid: Vec<(&str, &str)> = valid.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let created = browser.post("/console/employees", &valid).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER);
    let vik = app
        .get("/api/v1/employees?q=vik%40example", &app.admin)
        .await
        .json;
    assert_eq!(
        (
            &vik["items"][0]["employment_ends_on"],
            &vik["items"][0]["external_id"]
        ),
        (&json!("2027-03-31"), &json!("HR-7"))
    );
    // Back under Avd 8 for what follows.
    browser
        .post(
            &format!("/console/units/{night}"),
            &[
                ("csrf", &csrf),
                ("name", "Avd 8 natt"),
                ("parent_id", &unit),
                ("cost_center", "K-88"),
            ],
        )
        .await;
    let lo = app
        .get("/api/v1/employees?q=lo%40example", &app.admin)
        .await
        .json["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let moved = browser
        .post(
            &format!("/console/employees/{lo}"),
            &[
                ("csrf", &csrf),
                ("unit_id", &night),
                ("role_id", &role),
                ("employment_type", "temporary"),
                ("employment_ends_on", "2027-03-31"),
            ],
        )
        .await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER);
    let lo = app
        .get(&format!("/api/v1/employees/{lo}"), &app.admin)
        .await
        .json;
    assert_eq!(lo["unit_id"], json!(night));
    assert_eq!(lo["employment_type"], "temporary");
    assert_eq!(lo["employment_ends_on"], "2027-03-31");

    // The audit log shows what the console did.
    let audit = browser
        .get("/console/audit?entity_type=subscription")
        .await
        .html;
    // Events and kinds in words, each thing by what it is called (its number), not
    // its id.
    let suspended = audit.find(">Pausad<").expect("the console's suspension");
    let created = audit.find(">Skapad<").expect("the subscription's creation");
    assert!(suspended < created, "the newest first");
    assert!(audit.contains("<td>Abonnemang</td>"), "{audit}");
    assert!(audit.contains("<td>+46701112233</td>"), "{audit}");
    assert!(!audit.contains(&format!("<td>{sub}</td>")), "{audit}");
    assert!(audit.contains("<option value=\"subscription\" selected>Abonnemang</option>"));
}
both_stores!(admin_keeps_subscriptions_tokens_and_working_time);

async fn planner_shows_cost_per_unit_and_role_and_compares_waves(app: TestApp) {
    let unit = app.unit("Avd 9", None).await;
    let role = app.role("Sjuksköterska").await;
    app.employee("a9@example.se", &unit, &role).await;
    app.employee("b9@example.se", &unit, &role).await;
    let browser = Browser::signed_in(&app, &app.admin).await;
    let csrf = browser.get("/console/rollout").await.csrf();
    let added = browser
        .post(
            "/console/rollout/profiles",
            &[
                ("csrf", &csrf),
                ("name", "Vårdtelefon"),
                ("device_kind", "phone"),
                ("device_price", "4995,00"),
                ("setup_cost", "450"),
                ("monthly_subscription_cost", "149.00"),
                ("monthly_support_cost", "35"),
                ("lifetime_months", "36"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let profile = app.get("/api/v1/device-profiles", &app.admin).await.json["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let rule = browser
        .post(
            "/console/rollout/rules",
            &[
                ("csrf", &csrf),
                ("role_id", &role),
                ("unit_id", &unit),
                ("profile_id", &profile),
                ("wave", "2"),
            ],
        )
        .await;
    assert_eq!(rule.status, StatusCode::SEE_OTHER);
    let plan = browser.get("/console/rollout").await.html;
    // Two people, each 4,995 + 450 to introduce: 10 890,00 kr.
    assert!(plan.contains("10\u{a0}890,00\u{a0}kr"), "{plan}");
    let before = browser.get("/console/rollout?wave=1").await.html;
    assert!(!before.contains("10\u{a0}890,00\u{a0}kr"));
    assert!(!plan.contains("id=\"rollout-totals-note\""));
    // A phone in stock is handed out instead of bought, and the page says how the
    // totals then differ from the rows.
    app.device("STOCK-1", json!({"kind": "phone"}))
        .await
        .expect(201);
    let plan = browser.get("/console/rollout").await.html;
    for (id, shown) in [
        ("rollout-to-equip", "2"),
        ("rollout-stock-reused", "1"),
        ("rollout-to-purchase", "1"),
        ("rollout-introduction", "5\u{a0}895,00\u{a0}kr"),
    ] {
        assert!(
            plan.contains(&format!("id=\"{id}\">{shown}<")),
            "{id}: {plan}"
        );
    }
    assert!(
        plan.contains("10\u{a0}890,00\u{a0}kr"),
        "the rows as if bought new"
    );
    assert!(plan.contains("id=\"rollout-totals-note\""));
    let compared = browser.get("/console/rollout?a=1&b=2").await.html;
    assert!(compared.contains("id=\"added-headcount\">2<"));
    let csv = browser.get("/console/rollout?wave=2&format=csv").await;
    assert!(csv.html.contains("Vårdtelefon"));
}
both_stores!(planner_shows_cost_per_unit_and_role_and_compares_waves);

async fn bulk_actions_apply_to_exactly_the_lists_query_after_showing_the_count(app: TestApp) {
    for n in 1..=3 {
        app.device(&format!("BULK-{n}"), json!({}))
            .await
            .expect(201);
    }
    let retired = app.device("BULK-9", json!({})).await.expect(201).id();
    app.post(
        &format!("/api/v1/devices/{retired}/retire"),
        &app.admin,
        json!({"reason": "broken"}),
    )
    .await
    .expect(200);
    app.device("OTHER-1", json!({})).await.expect(201);
    let browser = Browser::signed_in(&app, &app.admin).await;
    let list = browser.get("/console/devices?q=BULK").await.html;
    assert!(list.contains("href=\"/console/devices/bulk?q=BULK\""));
    let plan = browser
        .get("/console/devices/bulk?q=BULK&action=send-to-repair")
        .await;
    assert!(
        plan.html
            .contains("Listan har 4 st. utrustning; åtgärden gäller 3 av dem"),
        "{}",
        plan.html
    );
    let csrf = plan.csrf();
    let form = |expected: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("q", "BULK".to_owned()),
            ("action", "send-to-repair".to_owned()),
            ("expected", expected.to_owned()),
        ]
    };
    // The list changed since the count was shown: nothing happens.
    let stale = form("2");
    let refused = browser
        .post(
            "/console/devices/bulk",
            &stale
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    let in_repair = app
        .get("/api/v1/devices?status=in_repair", &app.admin)
        .await;
    assert_eq!(in_repair.json["items"].as_array().unwrap().len(), 0);

    let good = form("3");
    let done = browser
        .post(
            "/console/devices/bulk",
            &good
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .collect::<Vec<_>>(),
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let in_repair = app
        .get("/api/v1/devices?status=in_repair", &app.admin)
        .await;
    let serials: Vec<&str> = in_repair.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["serial_number"].as_str().unwrap())
        .collect();
    assert_eq!(serials.len(), 3);
    assert!(serials.iter().all(|s| s.starts_with("BULK-")));
    let other = app.get("/api/v1/devices?q=OTHER", &app.admin).await;
    assert_eq!(other.json["items"][0]["status"], "in_stock");
    // Each change is in the device's history, as if done one by one.
    let audit = app.get("/api/v1/audit", &app.admin).await.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "send-to-repair")
        .count();
    assert_eq!(audit, 3);
}
both_stores!(bulk_actions_apply_to_exactly_the_lists_query_after_showing_the_count);

/// The list's export is the list as chosen: the chosen columns in the page's order,
/// under its headings, in words and names, filtered as the page was — CSV for Excel in a Swedish
/// locale (semicolons, BOM) and a workbook alike.
async fn list_exports_honour_the_chosen_columns_in_words(app: TestApp) {
    let unit = app.unit("Avd Export", None).await;
    let role = app.role("Sjuksköterska").await;
    let bo = app.employee("bo@example.se", &unit, &role).await;
    let held = app
        .device("EXP-1", json!({"unit_id": unit}))
        .await
        .expect(201)
        .id();
    app.post(
        &format!("/api/v1/devices/{held}/assign"),
        &app.admin,
        json!({"employee_id": bo}),
    )
    .await
    .expect(200);
    app.device("EXP-2", json!({})).await.expect(201);
    let browser = Browser::signed_in(&app, &app.admin).await;
    let view = "q=EXP&status=assigned&cols=serial_number&cols=holder&cols=status&cols=unit";

    let (content_type, csv) = browser
        .download(&format!("/console/devices/export?{view}&format=csv"))
        .await;
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let text = String::from_utf8(csv).unwrap();
    let text = text.strip_prefix('\u{feff}').expect("a BOM for Excel");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines,
        [
            "Serienummer;Status;Enhet;Innehavare",
            "EXP-1;Utdelad;Avd Export;bo@example.se"
        ]
    );

    let (_, xlsx) = browser
        .download(&format!("/console/devices/export?{view}&format=xlsx"))
        .await;
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("Utrustning").unwrap();
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(Data::to_string).collect())
        .collect();
    assert_eq!(
        rows,
        [
            ["Serienummer", "Status", "Enhet", "Innehavare"],
            ["EXP-1", "Utdelad", "Avd Export", "bo@example.se"]
        ]
    );

    // Subscriptions too, the monthly cost a number in the workbook.
    let sub = app
        .subscription(&crate::helpers::mobile(77), json!({}))
        .await
        .expect(201)
        .id();
    let (_, xlsx) = browser
        .download("/console/subscriptions/export?cols=msisdn&cols=monthly_cost&format=xlsx")
        .await;
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx)).unwrap();
    let sheet = book.worksheet_range("Abonnemang").unwrap();
    assert_eq!(
        sheet.get_value((0, 1)),
        Some(&Data::String("Månadskostnad".to_owned()))
    );
    assert_eq!(sheet.get_value((1, 1)), Some(&Data::Float(149.0)));
    let api = app
        .get(&format!("/api/v1/subscriptions/{sub}"), &app.admin)
        .await;
    assert_eq!(
        sheet.get_value((1, 0)),
        Some(&Data::String(
            api.json["msisdn"].as_str().unwrap().to_owned()
        ))
    );
}
both_stores!(list_exports_honour_the_chosen_columns_in_words);

/// The reports on screen speak the page's language, hide the ids the files carry and
/// link each row to what it is about; the after-hours and schedule-gap reports are
/// there too.
async fn reports_on_screen_have_headings_in_words_and_link_their_rows(app: TestApp) {
    let unit = app.unit("Avd R", None).await;
    let role = app.role("Undersköterska").await;
    let ends = (chrono::Utc::now() + Duration::days(10))
        .date_naive()
        .to_string();
    let vik = app
        .post(
            "/api/v1/employees",
            &app.admin,
            json!({"name": "Vera Vikarie", "email": "vera@example.se", "unit_id": unit,
                "role_id": role, "employment_type": "temporary", "employment_ends_on": ends}),
        )
        .await
        .expect(201)
        .id();
    let device = app.device("RET-1", json!({})).await.expect(201).id();
    app.post(
        &format!("/api/v1/devices/{device}/assign"),
        &app.admin,
        json!({"employee_id": vik}),
    )
    .await
    .expect(200);
    let browser = Browser::signed_in(&app, &app.admin).await;
    let page = browser.get("/console/reports/returns-due").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.html.contains("<th scope=\"col\">Namn</th>"),
        "{}",
        page.html
    );
    assert!(
        page.html
            .contains("<th scope=\"col\">Anställningsform</th>")
    );
    assert!(!page.html.contains("employee_id") && !page.html.contains(&device));
    assert!(
        page.html
            .contains(&format!("<a href=\"/console/employees/{vik}\">")),
        "{}",
        page.html
    );
    // Something in each of the other two: a notice sent (after-hours counts every
    // sender's notices) and a shift worker with no shift ahead (a schedule gap).
    app.post(
        "/api/v1/notices",
        &app.admin,
        json!({"title": "Info", "body": "…", "priority": "info",
            "audience": {"employee_ids": [vik]}}),
    )
    .await
    .expect(201);
    app.patch(
        &format!("/api/v1/employees/{vik}"),
        &app.admin,
        json!({"schedule_mode": "shifts"}),
    )
    .await
    .expect(200);
    for (report, heading) in [
        ("after-hours", "Brådskande utanför arbetstid"),
        ("schedule-gaps", "Sista passet slutar"),
    ] {
        let page = browser.get(&format!("/console/reports/{report}")).await;
        assert_eq!(page.status, StatusCode::OK, "{report}");
        assert!(
            page.html
                .contains(&format!("<th scope=\"col\">{heading}</th>")),
            "{report}: {}",
            page.html
        );
    }
    let gaps = browser.get("/console/reports/schedule-gaps").await.html;
    assert!(
        gaps.contains(&format!("<a href=\"/console/employees/{vik}\">")),
        "{gaps}"
    );
    let dashboard = browser.get("/console").await.html;
    assert!(dashboard.contains("/console/reports/after-hours"));
    assert!(dashboard.contains("/console/reports/schedule-gaps"));
}
both_stores!(reports_on_screen_have_headings_in_words_and_link_their_rows);

/// The shift import says whether it only checked or saved, and warns about a person on
/// weekly hours, whose shifts do not count until they are switched to shifts.
async fn shift_import_tells_a_dry_run_from_an_import_and_warns_about_weekly_hours(app: TestApp) {
    let unit = app.unit("Avd S", None).await;
    let role = app.role("Sjuksköterska").await;
    app.employee("veckan@example.se", &unit, &role).await;
    let browser = Browser::signed_in(&app, &app.admin).await;
    let csrf = browser.get("/console/working-time").await.csrf();
    let csv =
        "employee;starts_at;ends_at\r\nveckan@example.se;2026-11-18 07:00;2026-11-18 15:30\r\n";
    let upload = |dry_run: bool| {
        let mut form = multipart::Form::new().text("csrf", csrf.clone()).part(
            "file",
            multipart::Part::bytes(csv.as_bytes().to_vec())
                .file_name("pass.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
        if dry_run {
            form = form.text("dry_run", "true");
        }
        form
    };
    let checked = browser
        .post_multipart("/console/working-time/shifts", upload(true))
        .await;
    assert_eq!(checked.status, StatusCode::OK);
    assert!(
        checked
            .html
            .contains("Provkörning: 1 pass kan importeras. Inget är sparat än."),
        "{}",
        checked.html
    );
    assert!(
        checked
            .html
            .contains("veckan@example.se works weekly hours")
    );
    assert_eq!(app.count("shifts").await, 0);
    let saved = browser
        .post_multipart("/console/working-time/shifts", upload(false))
        .await;
    assert!(
        saved.html.contains("1 pass importerades."),
        "{}",
        saved.html
    );
    assert_eq!(app.count("shifts").await, 1);
}
both_stores!(shift_import_tells_a_dry_run_from_an_import_and_warns_about_weekly_hours);

/// A notice to more people than a page holds: the follow-up pages through them by name,
/// each person once, the counts are the whole notice's, and a filter pages too.
async fn a_large_notice_is_followed_up_page_by_page(app: TestApp) {
    let unit = app.unit("Stora avdelningen", None).await;
    let role = app.role("Sjuksköterska").await;
    let mut people = Vec::new();
    for n in 0..230 {
        // Created out of name order.
        let email = format!("p{:03}@example.se", (n * 97) % 230);
        people.push((email.clone(), app.employee(&email, &unit, &role).await));
    }
    let notice = app
        .post(
            "/api/v1/notices",
            &app.admin,
            json!({"title": "Alla", "body": "Till alla.", "priority": "info",
                   "audience": {"unit_ids": [unit]}}),
        )
        .await
        .expect(201)
        .id();
    // Three have read it.
    for (_, id) in people.iter().take(3) {
        let token = employee_token(&app, id).await;
        app.post(
            &format!("/api/v1/me/notices/{notice}/ack"),
            &token,
            json!({}),
        )
        .await
        .expect(200);
    }
    let browser = Browser::signed_in(&app, &app.admin).await;
    let names = |html: &str| -> Vec<String> {
        html.split("<table id=\"follow-people\">")
            .nth(1)
            .unwrap_or_default()
            .split("<th scope=\"row\"><a href=\"/console/employees/")
            .skip(1)
            .map(|row| {
                row.split_once("\">")
                    .unwrap()
                    .1
                    .split_once('<')
                    .unwrap()
                    .0
                    .to_owned()
            })
            .collect()
    };
    let mut seen = Vec::new();
    for page in 1..=3 {
        let html = browser
            .get(&format!("/console/notices/{notice}?show=all&page={page}"))
            .await
            .html;
        assert!(html.contains(">Alla (230)</a>"), "{html}");
        assert!(html.contains(">Lästa (3)</a>"), "{html}");
        assert!(html.contains(">Inte lästa (227)</a>"), "{html}");
        let on_page = names(&html);
        assert_eq!(
            on_page.len(),
            if page < 3 { 100 } else { 30 },
            "page {page}"
        );
        seen.extend(on_page);
    }
    let mut everyone: Vec<String> = people.iter().map(|(e, _)| e.clone()).collect();
    everyone.sort();
    assert_eq!(seen, everyone, "by name, each once");
    let unread = browser
        .get(&format!("/console/notices/{notice}?show=unread&page=3"))
        .await
        .html;
    let last = names(&unread);
    assert_eq!(last.len(), 27);
    let read: Vec<&String> = people.iter().take(3).map(|(e, _)| e).collect();
    assert!(last.iter().all(|name| !read.contains(&name)));
    let only_read = browser
        .get(&format!("/console/notices/{notice}?show=read"))
        .await
        .html;
    let mut expected: Vec<String> = read.into_iter().cloned().collect();
    expected.sort();
    assert_eq!(names(&only_read), expected);
}
both_stores!(a_large_notice_is_followed_up_page_by_page);
