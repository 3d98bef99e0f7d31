//! The console in a real browser: Debian's Chromium driven through chromedriver. Each
//! user's main jobs by mouse-free clicks and typing, axe-core on every page visited
//! (no serious or critical violation), and a keyboard walk with visible focus.
//!
//! Needs `/usr/bin/chromedriver` (package chromium-driver) and axe-core's `axe.min.js`
//! at `STILLA_AXE_JS`. Without them the test says it is skipped — unless
//! `STILLA_REQUIRE_BROWSER` is set, as `.ci/run` sets it, and then it fails.
use std::{path::Path, process::Stdio, time::Duration};

use axum::http::Method;
use fantoccini::{Client, ClientBuilder, Locator, wd::WebDriverCompatibleCommand};
use serde_json::{Value, json};
use url::Url;

use crate::{
    helpers::{TestApp, imei},
    notices::{always_working, employee_token, phone, quiet_policy, shift_worker},
};

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
const CHROMIUM: &str = "/usr/bin/chromium";

struct Session {
    client: Client,
    axe: String,
    base: String,
    _driver: tokio::process::Child,
    _profile: tempfile::TempDir,
}

fn skip_or_fail(why: &str) -> Option<Session> {
    assert!(
        std::env::var_os("STILLA_REQUIRE_BROWSER").is_none(),
        "browser tests required but {why}"
    );
    eprintln!("skipped: browser tests need {why}");
    None
}

async fn start(app: &TestApp) -> Option<Session> {
    if !Path::new(CHROMEDRIVER).exists() || !Path::new(CHROMIUM).exists() {
        return skip_or_fail("chromium and chromium-driver (apt install chromium chromium-driver)");
    }
    let Some(axe) = std::env::var("STILLA_AXE_JS")
        .ok()
        .and_then(|p| std::fs::read_to_string(p).ok())
    else {
        return skip_or_fail("STILLA_AXE_JS naming axe-core's axe.min.js (npm install axe-core)");
    };
    // Two rustls providers are linked (ring and aws-lc); the WebDriver client must be told.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let driver = tokio::process::Command::new(CHROMEDRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver starts");
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": CHROMIUM,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--window-size=1280,1024",
                format!("--user-data-dir={}", profile.path().display()),
            ],
        }),
    );
    let url = format!("http://127.0.0.1:{port}");
    let mut client = None;
    for _ in 0..50 {
        let mut builder = ClientBuilder::rustls().unwrap();
        builder.capabilities(caps.clone());
        if let Ok(c) = builder.connect(&url).await {
            client = Some(c);
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Some(Session {
        client: client.expect("chromedriver answers"),
        axe,
        base: app.base.clone(),
        _driver: driver,
        _profile: profile,
    })
}

impl Session {
    async fn open(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    async fn css(&self, selector: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("{selector} on the page: {e}"))
    }

    async fn text(&self, selector: &str) -> String {
        self.css(selector).await.text().await.unwrap()
    }

    /// Clicks what submits a form or follows a link, and waits for the next page.
    async fn submit(&self, selector: &str) {
        self.client
            .execute(
                "document.documentElement.dataset.left = '1'; return true;",
                vec![],
            )
            .await
            .unwrap();
        self.css(selector).await.click().await.unwrap();
        for _ in 0..100 {
            let left = self
                .client
                .execute(
                    "return document.readyState === 'complete' && !document.documentElement.dataset.left;",
                    vec![],
                )
                .await
                .unwrap_or(Value::Bool(false));
            if left == Value::Bool(true) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no new page after clicking {selector}");
    }

    async fn body(&self) -> String {
        self.text("main").await
    }

    /// axe-core over the page: no serious or critical violation.
    async fn accessible(&self, page: &str) {
        self.client
            .execute(&format!("{}\nreturn true;", self.axe), vec![])
            .await
            .unwrap();
        let found: Value = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})
                   .then(r => done(r.violations
                      .filter(v => v.impact === 'serious' || v.impact === 'critical')
                      .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))));",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(found, json!([]), "axe on {page}");
    }

    async fn sign_in(&self, token: &str) {
        self.open("/console/sign-in").await;
        self.accessible("sign-in").await;
        self.css("#token").await.send_keys(token).await.unwrap();
        self.submit("form[method=post][action='/console/sign-in'] button")
            .await;
        self.css("form[action='/console/sign-out']").await;
    }

    async fn sign_out(&self) {
        self.submit("form[action='/console/sign-out'] button").await;
        self.css("#token").await;
    }
}

/// Tab pressed or let go, as Chromium's own input event (DevTools'
/// `Input.dispatchKeyEvent`, through chromedriver): focus moves on from a file input as
/// it does for a person, where WebDriver's key actions would type into it as a file name.
#[derive(Debug)]
struct TabKey {
    down: bool,
}

impl WebDriverCompatibleCommand for TabKey {
    fn endpoint(&self, base: &Url, session: Option<&str>) -> Result<Url, url::ParseError> {
        base.join(&format!(
            "session/{}/goog/cdp/execute",
            session.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &Url) -> (Method, Option<String>) {
        let params = json!({
            "type": if self.down { "rawKeyDown" } else { "keyUp" },
            "key": "Tab",
            "code": "Tab",
            "windowsVirtualKeyCode": 9,
            "nativeVirtualKeyCode": 9,
        });
        let body = json!({"cmd": "Input.dispatchKeyEvent", "params": params});
        (Method::POST, Some(body.to_string()))
    }
}

/// Tab through the page: the skip link first, every control reached in document
/// order, each with a visible focus outline.
async fn keyboard_walk(s: &Session, page: &str) {
    let controls: Value = s
        .client
        .execute(
            "return Array.from(document.querySelectorAll(
                'a[href], button, input:not([type=hidden]), select, textarea, summary'))
               .filter(e => !e.disabled && e.offsetParent !== null || e.classList.contains('skip'))
               // Inside a closed <details> only its summary can be reached.
               .filter(e => e.tagName === 'SUMMARY' || !e.closest('details:not([open])'))
               .map((e, i) => { e.dataset.order = i; return i; }).length;",
            vec![],
        )
        .await
        .unwrap();
    let count = controls.as_u64().unwrap();
    s.client
        // Tab starts from where focus or the URL's #fragment last was: start it at the top.
        .execute(
            "const top = document.createElement('span'); top.tabIndex = -1;
                  document.body.prepend(top); window.focus(); top.focus();",
            vec![],
        )
        .await
        .unwrap();
    let mut seen = Vec::new();
    // A date input takes a Tab for each of its parts (day, month, year): room for those,
    // and the walk ends at the last control.
    for _ in 0..count * 3 {
        for down in [true, false] {
            s.client.issue_cmd(TabKey { down }).await.unwrap();
        }
        let state: Value = s
            .client
            .execute(
                "const e = document.activeElement; const st = getComputedStyle(e);
                 return [e.dataset.order ? Number(e.dataset.order) : -1,
                         st.outlineStyle !== 'none' && parseFloat(st.outlineWidth) >= 2,
                         e.outerHTML.slice(0, 120)];",
                vec![],
            )
            .await
            .unwrap();
        let order = state[0].as_i64().unwrap();
        assert!(
            state[1].as_bool().unwrap(),
            "{page}: control {order} shows focus: {}",
            state[2]
        );
        seen.push(order);
        if order + 1 == count as i64 {
            break;
        }
    }
    assert_eq!(seen.first(), Some(&0), "{page}: the skip link comes first");
    let mut sorted = seen.clone();
    sorted.sort_unstable();
    assert_eq!(seen, sorted, "{page}: focus follows the document order");
    sorted.dedup();
    if sorted.len() as u64 != count {
        let missed: Value = s
            .client
            .execute(
                "return Array.from(document.querySelectorAll('[data-order]'))
                   .filter(e => !arguments[0].includes(Number(e.dataset.order)))
                   .map(e => e.outerHTML.slice(0, 100));",
                vec![json!(sorted)],
            )
            .await
            .unwrap();
        panic!("{page}: every control is reached; missed {missed}");
    }
}

/// A ward under a quiet policy, with two nurses who have phones: `nu` works around the
/// clock (reached at once), `sen` on a shift that starts in 30 hours (reached later).
struct Ward {
    unit: String,
    nu: String,
}

async fn ward(app: &TestApp, name: &str) -> Ward {
    quiet_policy(app).await;
    let unit = app.unit(name, None).await;
    let role = app.role("Sjuksköterska").await;
    let nu = app.employee("nu@example.se", &unit, &role).await;
    always_working(app, &nu).await;
    phone(app, &nu).await;
    let sen = app.employee("sen@example.se", &unit, &role).await;
    shift_worker(app, &sen, chrono::Duration::hours(30)).await;
    phone(app, &sen).await;
    Ward { unit, nu }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_user_does_their_job_in_a_real_browser() {
    let app = TestApp::sqlite().await;
    let Some(s) = start(&app).await else { return };

    // Data: a ward, staff reached now / later, a device in stock.
    let Ward { unit, nu } = ward(&app, "Avdelning 12").await;
    let device = app
        .device("WEB-1", json!({"imei": imei(11)}))
        .await
        .expect(201)
        .id();

    // Headless Chromium asks for English; the console is used in Swedish here.
    s.open("/console/language/sv").await;
    // IT admin: dashboard, assign and retire a device, import with a bad row then fixed.
    s.sign_in(&app.admin).await;
    assert!(s.body().await.contains("Utrustning per status"));
    s.accessible("dashboard").await;
    keyboard_walk(&s, "dashboard").await;
    s.open("/console/devices").await;
    s.accessible("devices").await;
    s.open(&format!("/console/devices/{device}")).await;
    s.accessible("device").await;
    // The people picker: part of a name brings suggestions while typing, and a part
    // only one person has is enough to assign.
    s.css("#employee").await.send_keys("nu@exa").await.unwrap();
    s.css("#people-suggestions option[value='nu@example.se']")
        .await;
    s.submit(&format!("form[action$='/{device}/assign'] button"))
        .await;
    s.css(".notice-box.ok").await;
    assert_eq!(s.text("#device-status").await, "Utdelad");
    s.css("#reason")
        .await
        .select_by_value("lost")
        .await
        .unwrap();
    s.css("#confirm").await.click().await.unwrap();
    s.submit(&format!("form[action$='/{device}/retire'] button"))
        .await;
    s.css(".notice-box.ok").await;
    assert_eq!(s.text("#device-status").await, "Avvecklad");

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    let good = dir.path().join("good.csv");
    let header = "kind;manufacturer;model;serial_number;ownership;imei";
    std::fs::write(
        &bad,
        format!("{header}\nphone;Apple;iPhone;WEB-2;organization;12345\n"),
    )
    .unwrap();
    std::fs::write(
        &good,
        format!(
            "{header}\nphone;Apple;iPhone;WEB-2;organization;{}\n",
            imei(12)
        ),
    )
    .unwrap();
    s.open("/console/import").await;
    s.accessible("import").await;
    s.css("#file")
        .await
        .send_keys(bad.to_str().unwrap())
        .await
        .unwrap();
    s.submit("form[enctype] button[type=submit]").await;
    let errors = s.text(".error-summary").await;
    assert!(errors.contains("IMEI"), "{errors}");
    s.accessible("import errors").await;
    s.css("#file")
        .await
        .send_keys(good.to_str().unwrap())
        .await
        .unwrap();
    s.submit("form[enctype]:last-of-type button[type=submit]")
        .await;
    assert!(s.text(".notice-box").await.contains("1 rad skapas"));
    s.accessible("import plan").await;
    assert_eq!(app.count("devices").await, 1);
    s.submit("input[name=csv_text] ~ p button").await;
    assert!(
        s.text(".notice-box.ok")
            .await
            .contains("1 rad importerades.")
    );
    assert_eq!(app.count("devices").await, 2);
    // Every other admin page passes axe too.
    let sub = app
        .subscription("070-222 33 44", json!({}))
        .await
        .expect(201)
        .id();
    for path in [
        "/console/no-such-page".to_owned(),
        // The error page (a 404 from the domain).
        format!("/console/devices/{}", uuid::Uuid::nil()),
        "/console/search?q=WEB".to_owned(),
        "/console/devices/bulk?q=WEB&action=send-to-repair".to_owned(),
        "/console/devices?status=retired&cols=serial_number&cols=imei".to_owned(),
        "/console/subscriptions".to_owned(),
        format!("/console/subscriptions/{sub}"),
        "/console/employees".to_owned(),
        "/console/employees/new".to_owned(),
        format!("/console/employees/{nu}"),
        format!("/console/hours/employees/{nu}"),
        "/console/units".to_owned(),
        "/console/units/new".to_owned(),
        format!("/console/units/{unit}"),
        format!("/console/hours/units/{unit}"),
        "/console/rollout?a=1&b=2".to_owned(),
        "/console/tokens".to_owned(),
        "/console/audit".to_owned(),
        "/console/reports/returns-due".to_owned(),
        "/console/reports/utilization".to_owned(),
        "/console/reports/unused-subscriptions".to_owned(),
        "/console/reports/contracts-expiring".to_owned(),
        "/console/reports/after-hours".to_owned(),
        "/console/reports/schedule-gaps".to_owned(),
        "/console/working-time".to_owned(),
        "/console/notices".to_owned(),
        "/console/rollout".to_owned(),
    ] {
        s.open(&path).await;
        s.css("main").await;
        s.accessible(&path).await;
    }
    keyboard_walk(&s, "roll-out planner").await;
    // Pages with a file input too (the import, and working time's shift import).
    s.open("/console/import").await;
    keyboard_walk(&s, "import").await;
    s.open("/console/working-time").await;
    keyboard_walk(&s, "working time").await;
    // And date fields, a Tab for each part.
    s.open("/console/employees/new").await;
    keyboard_walk(&s, "new employee").await;
    s.open(&format!("/console/employees/{nu}")).await;
    keyboard_walk(&s, "employee").await;
    s.sign_out().await;

    // Manager: compose, preview split into now / later, send.
    let manager = app
        .token(json!({"name": "Chef 12", "role": "manager", "unit_ids": [unit]}))
        .await;
    s.sign_in(&manager).await;
    s.open("/console/notices/new").await;
    s.accessible("compose").await;
    s.css("#title").await.send_keys("Ny rutin").await.unwrap();
    s.css("#body")
        .await
        .send_keys("Läs den nya rutinen.")
        .await
        .unwrap();
    s.css(&format!("input[name=unit_ids][value='{unit}']"))
        .await
        .click()
        .await
        .unwrap();
    s.submit("button[value=preview]").await;
    assert_eq!(s.text("#preview-now").await, "1");
    assert_eq!(s.text("#preview-held").await, "1");
    assert_eq!(s.text("#preview-expired").await, "0");
    s.accessible("preview").await;
    s.submit("#send").await;
    assert!(
        s.text(".notice-box.ok")
            .await
            .contains("Meddelandet är skickat")
    );
    s.accessible("notice").await;
    s.sign_out().await;

    // Employee: acknowledge, then focus time.
    app.post(
        "/api/v1/notices",
        &app.admin,
        json!({"title": "Kvittera mig", "body": "Viktigt.", "priority": "important",
               "audience": {"employee_ids": [nu]}}),
    )
    .await
    .expect(201);
    let token = employee_token(&app, &nu).await;
    s.sign_in(&token).await;
    assert!(s.body().await.contains("Kvittera mig"));
    s.accessible("me").await;
    keyboard_walk(&s, "me").await;
    s.submit("form[action$='/ack'] button").await;
    assert!(s.body().await.contains("Kvitterat"));
    s.css("#minutes").await.select_by_value("45").await.unwrap();
    s.submit("form[action='/console/me/focus'].actions button")
        .await;
    assert!(s.text("#focus-state").await.contains("Fokustid till"));
    s.accessible("me with focus").await;

    // On her phone (390 × 844): nothing scrolls sideways, and every control she can
    // touch is at least 44 px tall and wide (links inside a sentence aside).
    s.client.set_window_size(390, 844).await.unwrap();
    s.open("/console/me").await;
    fits_a_phone(&s, "/console/me").await;
    s.accessible("me on a phone").await;
    s.client.set_window_size(1280, 1024).await.unwrap();
    s.open("/console/accessibility").await;
    s.accessible("statement").await;
    s.client.close().await.unwrap();
}

/// At 390 × 844 the page does not scroll sideways and every control one can touch is at
/// least 44 px tall and wide (links inside a sentence aside).
async fn fits_a_phone(s: &Session, page: &str) {
    let fit = s
        .client
        .execute(
            r#"
            const wide = document.documentElement.scrollWidth > window.innerWidth
              && [...document.querySelectorAll('main *')]
                   .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
                   .map(e => e.outerHTML.slice(0, 80)).slice(-3);
            const small = [...document.querySelectorAll(
                'a, button, input:not([type=hidden]), select, textarea, summary')]
              .filter(e => e.getClientRects().length > 0)
              .filter(e => {
                if (e.tagName === 'A' && e.closest('p, li')
                    && e.closest('p, li').textContent.trim() !== e.textContent.trim()) {
                  return false;
                }
                if (e.matches('.skip')) return false;
                if (e.matches('input[type=checkbox], input[type=radio]')) {
                  const label = e.closest('label') || document.querySelector(`label[for="${e.id}"]`);
                  const r = (label || e).getBoundingClientRect();
                  return r.height < 44;
                }
                const r = e.getBoundingClientRect();
                return r.height < 44 || r.width < 44;
              })
              .map(e => e.outerHTML.slice(0, 80) + ' ' + Math.round(e.getBoundingClientRect().width)
                   + 'x' + Math.round(e.getBoundingClientRect().height));
            return {wide, small};
            "#,
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        fit["wide"], false,
        "{page} scrolls sideways at 390 px: {}",
        fit["wide"]
    );
    assert_eq!(
        fit["small"],
        json!([]),
        "{page}: targets under 44 px at 390 px"
    );
}

/// A file the page links to, fetched as the browser would download it (with the
/// session's cookie): its bytes.
async fn linked_file(s: &Session, selector: &str) -> Vec<u8> {
    let href = s.css(selector).await.prop("href").await.unwrap().unwrap();
    let encoded: Value = s
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0]).then(r => r.arrayBuffer()).then(b => {
               let text = ''; for (const byte of new Uint8Array(b)) text += String.fromCharCode(byte);
               done(btoa(text));
             });",
            vec![json!(href)],
        )
        .await
        .unwrap();
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(encoded.as_str().unwrap())
        .unwrap()
}

/// The IT admin's and the manager's day beyond the first: imports from Excel (Windows
/// line endings, a byte-order mark) name the line the spreadsheet shows; an export holds
/// what the list shows, columns chosen in the form; the language switch stays on the
/// page; a refused form keeps what was typed; a notice is followed up person by person
/// after someone has read it; a person's page works on a phone; and the keyboard
/// reaches the new controls.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_working_day_with_files_follow_up_and_a_phone_in_a_real_browser() {
    let app = TestApp::sqlite().await;
    let Some(s) = start(&app).await else { return };
    let Ward { unit, nu } = ward(&app, "Avdelning 4").await;
    for n in 0..3 {
        app.device(&format!("LAGER-{n}"), json!({"imei": imei(40 + n)}))
            .await
            .expect(201);
    }
    let held = app.device("UTE-1", json!({})).await.expect(201).id();
    app.post(
        &format!("/api/v1/devices/{held}/assign"),
        &app.admin,
        json!({"employee_id": nu}),
    )
    .await
    .expect(200);

    s.open("/console/language/sv").await;
    s.sign_in(&app.admin).await;

    // Imports: a header and three rows, the third row's IMEI failing its check digit:
    // line 4 in the spreadsheet whatever the line endings and byte-order mark.
    let dir = tempfile::tempdir().unwrap();
    let mut wrong = imei(99);
    let last = wrong.pop().unwrap().to_digit(10).unwrap();
    wrong.push(char::from_digit((last + 1) % 10, 10).unwrap());
    let lines = [
        "kind;manufacturer;model;serial_number;ownership;imei".to_owned(),
        format!("phone;Apple;iPhone;IMP-1;organization;{}", imei(97)),
        format!("phone;Apple;iPhone;IMP-2;organization;{}", imei(98)),
        format!("phone;Apple;iPhone;IMP-3;organization;{wrong}"),
    ];
    for (name, ending, bom) in [
        ("lf.csv", "\n", ""),
        ("crlf.csv", "\r\n", ""),
        ("bom-crlf.csv", "\r\n", "\u{feff}"),
        ("bom-lf.csv", "\n", "\u{feff}"),
    ] {
        let file = dir.path().join(name);
        std::fs::write(&file, format!("{bom}{}{ending}", lines.join(ending))).unwrap();
        s.open("/console/import").await;
        s.css("#file")
            .await
            .send_keys(file.to_str().unwrap())
            .await
            .unwrap();
        s.submit("form[enctype] button[type=submit]").await;
        let row = s.text(".error-summary tbody tr").await;
        assert!(row.starts_with("4 IMEI"), "{name}: {row}");
    }
    s.accessible("import refused").await;
    assert_eq!(app.count("devices").await, 4, "nothing imported");

    // The list: devices in stock, two columns chosen in the form, sorted by a heading;
    // the files hold exactly that, in words.
    s.open("/console/devices").await;
    s.css("#f-status")
        .await
        .select_by_value("in_stock")
        .await
        .unwrap();
    for col in ["kind", "model", "status", "unit", "holder", "imei"] {
        let checkbox = s.css(&format!("input[name=cols][value={col}]")).await;
        let checked = checkbox.prop("checked").await.unwrap();
        if checked.as_deref() == Some("true") {
            checkbox.click().await.unwrap();
        }
    }
    s.css("input[name=cols][value=imei]")
        .await
        .click()
        .await
        .unwrap();
    s.submit("form.filters button[type=submit]").await;
    s.submit("th[scope=col] a.sort").await;
    s.submit("th[scope=col] a.sort").await;
    assert_eq!(
        s.css("th[aria-sort]")
            .await
            .attr("aria-sort")
            .await
            .unwrap()
            .as_deref(),
        Some("descending")
    );
    s.accessible("devices, chosen and sorted").await;
    keyboard_walk(&s, "devices list").await;
    let csv = linked_file(&s, "a[href*='/export'][href$='format=csv']").await;
    let csv = String::from_utf8(csv).unwrap();
    let csv_lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        csv_lines,
        [
            "\u{feff}Serienummer;IMEI".to_owned(),
            format!("LAGER-2;{}", imei(42)),
            format!("LAGER-1;{}", imei(41)),
            format!("LAGER-0;{}", imei(40)),
        ]
    );
    let xlsx = linked_file(&s, "a[href*='/export'][href$='format=xlsx']").await;
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx)).unwrap();
    let rows: Vec<Vec<String>> = book
        .worksheet_range("Utrustning")
        .unwrap()
        .rows()
        .map(|r| r.iter().map(Data::to_string).collect())
        .collect();
    assert_eq!(rows[0], ["Serienummer", "IMEI"]);
    assert_eq!(rows[1], ["LAGER-2".to_owned(), imei(42)]);
    assert_eq!(rows.len(), 4);

    // The language switch comes back to this very list, in English.
    let here = s.client.current_url().await.unwrap();
    s.submit("a[lang=en]").await;
    assert_eq!(s.client.current_url().await.unwrap(), here);
    assert_eq!(
        s.css("html").await.attr("lang").await.unwrap().as_deref(),
        Some("en")
    );
    assert!(s.body().await.contains("Serial number"));
    s.submit("a[lang=sv]").await;
    assert_eq!(s.client.current_url().await.unwrap(), here);

    // A device's facts, a bad IMEI typed: the form comes back open, as typed.
    s.open(&format!("/console/devices/{held}")).await;
    s.css("#device-facts summary").await.click().await.unwrap();
    s.css("#f-imei").await.send_keys("12345").await.unwrap();
    s.css("#f-model").await.clear().await.unwrap();
    s.css("#f-model")
        .await
        .send_keys("iPhone 16e")
        .await
        .unwrap();
    s.submit("form.facts-form button[type=submit]").await;
    assert!(s.text("#refusals").await.contains("IMEI"));
    assert_eq!(
        s.css("#f-model")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("iPhone 16e")
    );
    assert_eq!(
        s.css("#f-imei")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("12345")
    );
    s.accessible("device facts refused").await;
    // Opened afresh, so that the walk starts at the top of the page.
    s.open(&format!("/console/devices/{held}")).await;
    keyboard_walk(&s, "device page").await;
    s.sign_out().await;

    // The ward's notice, read by one of the two: the manager sees who has not.
    let manager = app
        .token(json!({"name": "Chef 4", "role": "manager", "unit_ids": [unit]}))
        .await;
    let notice = app
        .post(
            "/api/v1/notices",
            &manager,
            json!({"title": "Brandövning", "body": "Kl 10 i dag.", "priority": "important",
                   "audience": {"unit_ids": [unit]}}),
        )
        .await
        .expect(201)
        .id();
    app.dispatch().await;
    let nurse = employee_token(&app, &nu).await;
    s.sign_in(&nurse).await;
    s.submit("form[action$='/ack'] button").await;
    s.sign_out().await;
    s.sign_in(&manager).await;
    s.open(&format!("/console/notices/{notice}")).await;
    let people = s.text("#follow-people tbody").await;
    assert!(
        people.contains("nu@example.se") && people.contains("Läst"),
        "{people}"
    );
    assert!(people.contains("sen@example.se"), "{people}");
    s.submit("a[href$='show=unread#follow-up']").await;
    let unread = s.text("#follow-people tbody").await;
    assert!(
        unread.contains("sen@example.se") && !unread.contains("nu@example.se"),
        "{unread}"
    );
    s.accessible("follow-up, unread").await;
    keyboard_walk(&s, "notice follow-up").await;
    s.sign_out().await;

    // The admin on a phone: a person's page fits.
    s.sign_in(&app.admin).await;
    s.client.set_window_size(390, 844).await.unwrap();
    s.open(&format!("/console/employees/{nu}")).await;
    fits_a_phone(&s, "employee page").await;
    s.accessible("employee page on a phone").await;
    s.client.close().await.unwrap();
}

/// Staff sign in as themselves through their organisation's identity provider (a
/// real one: node-oidc-provider and its login page) and land where their work is: the
/// nurse on "Mina sidor", the ward's manager on the manager's notices, the IT admin
/// (by group) on the overview. Signing out leaves the provider too, so the next person
/// at the same browser must log in there again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_signs_in_through_the_organisations_provider_in_a_real_browser() {
    let port = crate::oidc_provider::free_port();
    let app = TestApp::sqlite_with(move |config| {
        config.listen = format!("127.0.0.1:{port}").parse().unwrap();
        config.public_url = format!("http://127.0.0.1:{port}");
    })
    .await;
    let Some(s) = start(&app).await else { return };
    let accounts = json!({
        "nina": {"email": "nina@region.se"},
        "maja": {"email": "maja@region.se"},
        "ivar": {"email": "ivar@region.se", "groups": ["it-admins"]},
    });
    let Some(idp) = crate::oidc_provider::RealIdp::start(&app.base, accounts).await else {
        return;
    };
    crate::oidc_provider::staff(&app).await;
    let slug = idp
        .connect(&app, json!({"admin_groups": ["it-admins"]}))
        .await;
    s.open("/console/language/sv").await;

    for (i, (login, lands)) in [
        ("nina", "/console/me"),
        ("maja", "/console/notices"),
        ("ivar", "/console"),
    ]
    .into_iter()
    .enumerate()
    {
        s.open("/console/sign-in").await;
        if i == 0 {
            // The first time the organisation is typed in; then the browser remembers.
            s.accessible("sign-in, choosing the organisation").await;
            s.css("#organisation").await.send_keys(&slug).await.unwrap();
            s.submit("form[method=get][action='/console/sign-in'] button")
                .await;
        }
        s.accessible("sign-in with the organisation").await;
        s.submit("a.button[href^='/console/sign-in/start']").await;
        // The provider's own login page.
        s.css("input[name=login]")
            .await
            .send_keys(login)
            .await
            .unwrap();
        s.css("input[name=password]")
            .await
            .send_keys("any")
            .await
            .unwrap();
        s.css("button[type=submit]").await.click().await.unwrap();
        s.css("form[action='/console/sign-out']").await;
        let url = s.client.current_url().await.unwrap();
        assert_eq!(url.path(), lands, "{login} lands on their page");
        s.accessible(lands).await;
        assert!(
            s.text("header")
                .await
                .contains(&format!("{login}@region.se")),
            "{login} is named as signed in"
        );
        // Out of Stilla and, through the provider's own confirmation, out there too.
        s.css("form[action='/console/sign-out'] button")
            .await
            .click()
            .await
            .unwrap();
        s.css("button[name=logout][value=yes]")
            .await
            .click()
            .await
            .unwrap();
        s.css("a.button[href^='/console/sign-in/start']").await;
        assert_eq!(
            s.client.current_url().await.unwrap().path(),
            "/console/sign-in"
        );
    }
}
