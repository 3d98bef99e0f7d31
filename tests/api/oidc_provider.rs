//! Signing in through a real OpenID Connect provider: node-oidc-provider (npm
//! `oidc-provider`, OpenID-certified), started by the test with `tests/oidc/provider.mjs`,
//! a client for Stilla, PKCE required and its development login pages. Stilla and the
//! provider meet only over HTTP, as in production.
//!
//! Needs Node.js and the package, installed outside the clone (`.ci/run` does it) and
//! named by `STILLA_OIDC_PROVIDER_MODULES` (its `node_modules` folder). Without them the
//! tests say they are skipped — unless `STILLA_REQUIRE_BROWSER` is set, as in CI.
use std::{process::Stdio, time::Duration};

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::{
    console::{Browser, Page},
    helpers::TestApp,
    sign_in::moves_on_to,
};

pub const CLIENT_ID: &str = "stilla";
pub const CLIENT_SECRET: &str = "a-real-providers-client-secret";

pub struct RealIdp {
    pub issuer: String,
    _process: tokio::process::Child,
}

/// A free port on this machine (for the app, whose public URL the provider must know
/// before it starts, and for the provider).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl RealIdp {
    /// Starts the provider for an app at `app_base`, knowing `accounts` (login ->
    /// claims); `None` (skipped) where Node.js or the package is missing.
    pub async fn start(app_base: &str, accounts: Value) -> Option<RealIdp> {
        let modules = std::env::var("STILLA_OIDC_PROVIDER_MODULES").ok();
        let Some(modules) = modules.filter(|m| {
            std::path::Path::new(m)
                .join("oidc-provider/package.json")
                .exists()
        }) else {
            assert!(
                std::env::var_os("STILLA_REQUIRE_BROWSER").is_none(),
                "the OpenID Connect tests are required, but STILLA_OIDC_PROVIDER_MODULES \
                 names no node_modules with oidc-provider"
            );
            eprintln!(
                "skipped: set STILLA_OIDC_PROVIDER_MODULES to a node_modules with oidc-provider \
                 (npm install oidc-provider@9)"
            );
            return None;
        };
        let port = free_port();
        let mut process = tokio::process::Command::new("node")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/oidc/provider.mjs"
            ))
            .env("OIDC_PROVIDER_MODULES", modules)
            .env("PORT", port.to_string())
            .env("CLIENT_ID", CLIENT_ID)
            .env("CLIENT_SECRET", CLIENT_SECRET)
            .env(
                "REDIRECT_URI",
                format!("{app_base}/console/sign-in/callback"),
            )
            .env(
                "POST_LOGOUT_REDIRECT_URI",
                format!("{app_base}/console/sign-in"),
            )
            .env("ACCOUNTS", accounts.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("node starts");
        let mut lines = BufReader::new(process.stdout.take().unwrap()).lines();
        let ready = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
            .await
            .expect("the provider starts within 20 s")
            .unwrap()
            .expect("the provider says it is ready");
        let issuer = ready
            .strip_prefix("ready ")
            .expect("ready <issuer>")
            .to_owned();
        // The provider prints notices as it goes: keep reading, or its next write to a
        // closed pipe ends it.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Some(RealIdp {
            issuer,
            _process: process,
        })
    }

    /// Sets the provider up for the app's tenant; answers the tenant's short name.
    pub async fn connect(&self, app: &TestApp, settings: Value) -> String {
        let mut body = json!({
            "issuer": self.issuer,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        });
        for (key, value) in settings.as_object().unwrap() {
            body[key] = value.clone();
        }
        app.put("/api/v1/identity-provider", &app.admin, body)
            .await
            .expect(200);
        app.get("/api/v1/tenant", &app.admin).await.expect(200).json["slug"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    fn absolute(&self, location: &str) -> String {
        if location.starts_with("http") {
            location.to_owned()
        } else {
            format!("{}{location}", self.issuer)
        }
    }

    /// From the provider's authorization URL, through its login page as `login`, to
    /// the URL it sends the browser back to Stilla with.
    pub async fn log_in(&self, browser: &Browser, authorization_url: &str, login: &str) -> String {
        let mut at = browser.visit(authorization_url).await;
        for _ in 0..10 {
            if let Some(location) = at.location.clone() {
                if !location.starts_with(&self.issuer) && location.starts_with("http") {
                    return location;
                }
                at = browser.visit(&self.absolute(&location)).await;
            } else {
                assert_eq!(at.status, StatusCode::OK, "the login page: {}", at.html);
                let action = form_action(&at);
                at = browser
                    .post_absolute(
                        &self.absolute(&action),
                        &[("prompt", "login"), ("login", login), ("password", "any")],
                    )
                    .await;
            }
        }
        panic!("the provider did not send the browser back");
    }
}

/// The login form's target on the provider's page.
fn form_action(page: &Page) -> String {
    let start = page.html.find("action=\"").expect("a form") + 8;
    let end = page.html[start..].find('"').unwrap();
    page.html[start..start + end].replace("&#x2F;", "/")
}

/// The app with its public URL on a port chosen first, so the redirect URI registered
/// at the provider is the real one.
async fn app_on_known_port() -> TestApp {
    let port = free_port();
    TestApp::sqlite_with(move |config| {
        config.listen = format!("127.0.0.1:{port}").parse().unwrap();
        config.public_url = format!("http://127.0.0.1:{port}");
    })
    .await
}

async fn start_sign_in(browser: &Browser, slug: &str) -> String {
    let start = browser
        .get(&format!("/console/sign-in/start?organisation={slug}"))
        .await;
    assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.html);
    start.location.unwrap()
}

fn accounts() -> Value {
    json!({
        "nina": {"email": "nina@region.se", "email_verified": true, "name": "Nina N"},
        "maja": {"email": "maja@region.se", "email_verified": true, "groups": ["staff"]},
        "ivar": {"email": "ivar@region.se", "email_verified": true, "groups": ["it-admins"]},
        "okand": {"email": "okand@region.se", "email_verified": true},
    })
}

/// A unit with its manager, a nurse and an IT admin, as the accounts above.
pub async fn staff(app: &TestApp) {
    let unit = app.unit("Avd 12", None).await;
    let role = app.role("Sjuksköterska").await;
    app.employee("nina@region.se", &unit, &role).await;
    let maja = app.employee("maja@region.se", &unit, &role).await;
    app.employee("ivar@region.se", &unit, &role).await;
    app.patch(
        &format!("/api/v1/units/{unit}"),
        &app.admin,
        json!({"manager_ids": [maja]}),
    )
    .await
    .expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_provider_signs_in_each_role_and_refuses_what_it_must() {
    let app = app_on_known_port().await;
    let Some(idp) = RealIdp::start(&app.base, accounts()).await else {
        return;
    };
    staff(&app).await;
    let slug = idp
        .connect(&app, json!({"admin_groups": ["it-admins"]}))
        .await;

    for (login, lands) in [
        ("nina", "/console/me"),
        ("maja", "/console/notices"),
        ("ivar", "/console"),
    ] {
        let browser = Browser::new(&app);
        let authorize = start_sign_in(&browser, &slug).await;
        assert!(
            authorize.contains("code_challenge_method=S256"),
            "{authorize}"
        );
        let back = idp.log_in(&browser, &authorize, login).await;
        let landed = browser.visit(&back).await;
        assert_eq!(moves_on_to(&landed), lands, "{login}");
        assert_eq!(browser.get(lands).await.status, StatusCode::OK, "{login}");
    }

    // A wrong state: the answer is refused, nobody signed in.
    let browser = Browser::new(&app);
    let authorize = start_sign_in(&browser, &slug).await;
    let back = idp.log_in(&browser, &authorize, "nina").await;
    let page = browser.visit(&back.replace("state=", "state=forged")).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert_eq!(
        browser.get("/console/me").await.status,
        StatusCode::SEE_OTHER
    );

    // A replayed code: used once, then brought back with a fresh sign-in's state — the
    // provider refuses to redeem it again.
    let browser = Browser::new(&app);
    let authorize = start_sign_in(&browser, &slug).await;
    let back = idp.log_in(&browser, &authorize, "nina").await;
    moves_on_to(&browser.visit(&back).await);
    let code = back
        .split("code=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let replayer = Browser::new(&app);
    let fresh = start_sign_in(&replayer, &slug).await;
    let state = fresh
        .split("state=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_owned();
    let replay = replayer
        .visit(&format!(
            "{}/console/sign-in/callback?code={code}&state={state}",
            app.base
        ))
        .await;
    assert_eq!(replay.status, StatusCode::FORBIDDEN, "{}", replay.html);
    assert_eq!(
        replayer.get("/console/me").await.status,
        StatusCode::SEE_OTHER
    );

    // A wrong nonce: the authorization request is changed on its way (the provider
    // then signs another nonce into the ID token), and the token is refused.
    let browser = Browser::new(&app);
    let authorize = start_sign_in(&browser, &slug).await;
    let tampered = authorize.replace("nonce=", "nonce=tampered");
    let back = idp.log_in(&browser, &tampered, "nina").await;
    let page = browser.visit(&back).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.html);

    // Someone the provider knows and Stilla does not.
    let browser = Browser::new(&app);
    let authorize = start_sign_in(&browser, &slug).await;
    let back = idp.log_in(&browser, &authorize, "okand").await;
    let page = browser.visit(&back).await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.html.contains("Inget konto skapas"));

    let audit = app
        .get("/api/v1/audit?limit=500", &app.admin)
        .await
        .expect(200);
    let reasons: Vec<&str> = audit.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "sign-in.refused")
        .filter_map(|e| e["after"]["reason"].as_str())
        .collect();
    for reason in [
        "state-mismatch",
        "code-refused",
        "id-token-invalid",
        "unknown-person",
    ] {
        assert!(reasons.contains(&reason), "{reason} in {reasons:?}");
    }
}
