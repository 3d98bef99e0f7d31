//! Signing in to the console through the tenant's identity provider (OpenID Connect),
//! against a stand-in provider that speaks the wire format and misbehaves on request:
//! who lands where, every way a sign-in must be refused, key rotation, leaving, signing
//! out there too, the settings' secret kept secret, and the pasted token turned off.
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::{
    console::{Browser, Page},
    helpers::{TestApp, both_stores},
    idp::{CLIENT_ID, CLIENT_SECRET, Flaw, StandInIdp},
};

/// The tenant's short name and a provider set up for it (admins and urgent senders by
/// group), with a unit, a ward below it, a role and three people: a nurse, the unit's
/// manager and an IT admin; and a surgeon in another unit.
struct Region {
    slug: String,
    idp: StandInIdp,
    unit: String,
    ward: String,
    nurse: String,
    manager: String,
}

async fn region(app: &TestApp) -> Region {
    let idp = StandInIdp::start().await;
    let settings = app
        .put(
            "/api/v1/identity-provider",
            &app.admin,
            json!({
                "issuer": idp.issuer,
                "client_id": CLIENT_ID,
                "client_secret": CLIENT_SECRET,
                "admin_groups": ["it-admins"],
                "urgent_groups": ["on-call-leads"],
            }),
        )
        .await
        .expect(200);
    assert_eq!(settings.json["client_secret_set"], true);
    let unit = app.unit("Medicinkliniken", None).await;
    let ward = app.unit("Avd 12", Some(&unit)).await;
    let role = app.role("Sjuksköterska").await;
    let nurse = app.employee("nina@region.se", &ward, &role).await;
    let manager = app.employee("maja@region.se", &unit, &role).await;
    app.employee("ivar@region.se", &unit, &role).await;
    let elsewhere = app.unit("Kirurgen", None).await;
    app.employee("otto@region.se", &elsewhere, &role).await;
    app.patch(
        &format!("/api/v1/units/{unit}"),
        &app.admin,
        json!({"manager_ids": [manager]}),
    )
    .await
    .expect(200);
    let slug = app.get("/api/v1/tenant", &app.admin).await.expect(200).json["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    Region {
        slug,
        idp,
        unit,
        ward,
        nurse,
        manager,
    }
}

/// The configured public URL, which the redirect URI is made from; the test app
/// listens on a port of its own, so the way back is taken there.
const PUBLIC_URL: &str = "http://localhost:8080";

/// The provider's redirect back to the console, to the test app's own address.
fn back_to(app_base: &str, location: &str) -> String {
    location.replacen(PUBLIC_URL, app_base, 1)
}

/// Starts a sign-in for the organisation and follows it through the provider back to
/// the console; answers the console's last answer (the page that moves on, or the
/// refusal).
async fn through_provider(browser: &Browser, slug: &str) -> Page {
    let back = to_provider_and_back(browser, slug).await;
    browser.visit(&back).await
}

/// The URL the provider sends the browser back to.
async fn to_provider_and_back(browser: &Browser, slug: &str) -> String {
    let start = browser
        .get(&format!("/console/sign-in/start?organisation={slug}"))
        .await;
    assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.html);
    let at_provider = browser.visit(start.location.as_deref().unwrap()).await;
    assert_eq!(
        at_provider.status,
        StatusCode::SEE_OTHER,
        "{}",
        at_provider.html
    );
    back_to(browser.base(), at_provider.location.as_deref().unwrap())
}

/// Where the page that moves on by itself goes.
pub fn moves_on_to(page: &Page) -> String {
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let start = page
        .html
        .find("content=\"0;url=")
        .expect("a page that moves on")
        + 15;
    let end = page.html[start..].find('"').unwrap();
    page.html[start..start + end].replace("&amp;", "&")
}

async fn people_land_where_they_work_and_see_what_they_may(app: TestApp) {
    let r = region(&app).await;

    // The nurse: "Mina sidor", nothing of the manager's pages.
    let nurse = Browser::new(&app);
    r.idp
        .next_person(json!({"sub": "u-nina", "email": "Nina@Region.se"}));
    let landed = through_provider(&nurse, &r.slug).await;
    assert_eq!(moves_on_to(&landed), "/console/me");
    let me = nurse.get("/console/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert!(me.html.contains("nina@region.se"), "{}", me.html);
    assert_eq!(
        nurse.get("/console/notices").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        nurse.get("/console/devices").await.status,
        StatusCode::FORBIDDEN
    );

    // The unit's manager: the manager's pages for the unit and the ward below it, and
    // their own "Mina sidor" too.
    let manager = Browser::new(&app);
    r.idp
        .next_person(json!({"sub": "u-maja", "email": "maja@region.se", "groups": ["staff"]}));
    assert_eq!(
        moves_on_to(&through_provider(&manager, &r.slug).await),
        "/console/notices"
    );
    let people = manager.get("/console/employees").await;
    assert_eq!(people.status, StatusCode::OK);
    assert!(
        people.html.contains("nina@region.se"),
        "the ward's nurse is in scope"
    );
    assert!(
        !people.html.contains("otto@region.se"),
        "another unit's surgeon is not"
    );
    assert_eq!(manager.get("/console/me").await.status, StatusCode::OK);
    assert_eq!(
        manager.get("/console/tokens").await.status,
        StatusCode::FORBIDDEN
    );

    // The admin, by group; and the urgent right, by another group.
    let admin = Browser::new(&app);
    r.idp.next_person(
        json!({"sub": "u-ivar", "email": "ivar@region.se", "groups": ["staff", "it-admins"]}),
    );
    assert_eq!(
        moves_on_to(&through_provider(&admin, &r.slug).await),
        "/console"
    );
    assert_eq!(admin.get("/console/tokens").await.status, StatusCode::OK);

    // The audit trail names the person, never a token.
    let audit = app
        .get("/api/v1/audit?limit=200", &app.admin)
        .await
        .expect(200);
    let sign_ins: Vec<&Value> = audit.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "sign-in")
        .collect();
    assert_eq!(sign_ins.len(), 3, "{sign_ins:?}");
    assert!(
        sign_ins
            .iter()
            .any(|e| e["actor"].as_str().unwrap().ends_with("<ivar@region.se>"))
    );
    assert!(sign_ins.iter().all(|e| e["actor_token_id"].is_null()));
    assert!(sign_ins.iter().any(|e| e["after"]["role"] == "admin"));
    assert!(sign_ins.iter().any(|e| e["after"]["role"] == "manager"));
}
both_stores!(people_land_where_they_work_and_see_what_they_may);

async fn a_manager_sends_their_units_a_notice_and_urgent_needs_the_group(app: TestApp) {
    let r = region(&app).await;
    let manager = Browser::new(&app);
    r.idp
        .next_person(json!({"sub": "u-maja", "email": "maja@region.se"}));
    through_provider(&manager, &r.slug).await;
    let compose = manager.get("/console/notices/new").await;
    assert_eq!(compose.status, StatusCode::OK);
    assert!(
        compose.html.contains(&r.unit),
        "the managed unit is offered"
    );
    assert!(
        !compose.html.contains("value=\"urgent\""),
        "no urgent right without the group"
    );

    let lead = Browser::new(&app);
    r.idp.next_person(
        json!({"sub": "u-maja", "email": "maja@region.se", "groups": ["on-call-leads"]}),
    );
    through_provider(&lead, &r.slug).await;
    let compose = lead.get("/console/notices/new").await;
    assert!(
        compose.html.contains("value=\"urgent\""),
        "{}",
        compose.html
    );
}
both_stores!(a_manager_sends_their_units_a_notice_and_urgent_needs_the_group);

/// Each refusal: a clear page (403), no session, and the reason in the tenant's audit
/// trail.
async fn refused(app: &TestApp, browser: &Browser, page: &Page, reason: &str, says: &str) {
    assert_eq!(
        page.status,
        StatusCode::FORBIDDEN,
        "{reason}: {}",
        page.html
    );
    assert!(page.html.contains(says), "{reason}: {}", page.html);
    let after = browser.get("/console/me").await;
    assert_eq!(after.status, StatusCode::SEE_OTHER, "{reason}: no session");
    let audit = app
        .get("/api/v1/audit?limit=200", &app.admin)
        .await
        .expect(200);
    assert!(
        audit.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "sign-in.refused" && e["after"]["reason"] == reason),
        "{reason} is in the audit trail"
    );
}

async fn every_bad_answer_is_refused_and_nobody_is_made(app: TestApp) {
    let r = region(&app).await;
    let employees_before = app.count("employees").await;
    let nina = json!({"sub": "u-nina", "email": "nina@region.se"});

    for (flaw, reason) in [
        (Flaw::Expired, "id-token-invalid"),
        (Flaw::ForgedSignature, "id-token-invalid"),
        (Flaw::WrongNonce, "id-token-invalid"),
        (Flaw::WrongAudience, "id-token-invalid"),
        (Flaw::WrongIssuer, "id-token-invalid"),
    ] {
        r.idp.next_person(nina.clone());
        r.idp.flaw(flaw);
        let browser = Browser::new(&app);
        let page = through_provider(&browser, &r.slug).await;
        refused(&app, &browser, &page, reason, "kunde inte godtas").await;
    }

    // Someone the provider knows and Stilla does not: refused, never created.
    r.idp
        .next_person(json!({"sub": "u-x", "email": "okand@region.se"}));
    let browser = Browser::new(&app);
    let page = through_provider(&browser, &r.slug).await;
    refused(
        &app,
        &browser,
        &page,
        "unknown-person",
        "Inget konto skapas",
    )
    .await;
    assert_eq!(app.count("employees").await, employees_before);

    // A token without the claim the tenant names people by.
    r.idp.next_person(json!({"sub": "u-nina"}));
    let browser = Browser::new(&app);
    let page = through_provider(&browser, &r.slug).await;
    refused(
        &app,
        &browser,
        &page,
        "no-identity-claim",
        "kunde inte godtas",
    )
    .await;

    // The answer of another browser's sign-in (state), and a code used twice.
    r.idp.next_person(nina.clone());
    let mallory = Browser::new(&app);
    let callback = to_provider_and_back(&mallory, &r.slug).await;
    let victim = Browser::new(&app);
    victim
        .get(&format!("/console/sign-in/start?organisation={}", r.slug))
        .await;
    let page = victim.visit(&callback).await;
    refused(
        &app,
        &victim,
        &page,
        "state-mismatch",
        "gå ut eller har redan använts",
    )
    .await;
    let first = mallory.visit(&callback).await;
    assert_eq!(
        first.status,
        StatusCode::OK,
        "the rightful browser signs in"
    );
    let replay = mallory.visit(&callback).await;
    assert_eq!(replay.status, StatusCode::FORBIDDEN, "a code is good once");
    let forged_state = {
        let browser = Browser::new(&app);
        r.idp.next_person(nina.clone());
        let url = to_provider_and_back(&browser, &r.slug).await;
        let tampered = url.replace("state=", "state=x");
        (browser.visit(&tampered).await, browser)
    };
    refused(
        &app,
        &forged_state.1,
        &forged_state.0,
        "state-mismatch",
        "har redan använts",
    )
    .await;

    // An answer that says another provider issued it (RFC 9207's mix-up defence).
    r.idp.next_person(nina.clone());
    let browser = Browser::new(&app);
    let back = to_provider_and_back(&browser, &r.slug).await;
    let page = browser
        .visit(&format!("{back}&iss=https%3A%2F%2Fidp.elsewhere.example"))
        .await;
    refused(&app, &browser, &page, "provider-error", "kunde inte godtas").await;

    // Someone whose employment has ended.
    app.patch(
        &format!("/api/v1/employees/{}", r.nurse),
        &app.admin,
        json!({"employment_ends_on": "2020-01-31"}),
    )
    .await
    .expect(200);
    r.idp.next_person(nina);
    let browser = Browser::new(&app);
    let page = through_provider(&browser, &r.slug).await;
    refused(
        &app,
        &browser,
        &page,
        "employment-ended",
        "anställning har upphört",
    )
    .await;

    // An unknown organisation, and one without a provider, say so.
    let page = Browser::new(&app)
        .get("/console/sign-in/start?organisation=ingen-sadan")
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.html.contains("Ingen organisation har det kortnamnet"));
}
both_stores!(every_bad_answer_is_refused_and_nobody_is_made);

async fn a_required_assurance_level_is_asked_for_and_checked(app: TestApp) {
    let r = region(&app).await;
    let settings = app
        .put(
            "/api/v1/identity-provider",
            &app.admin,
            json!({"issuer": r.idp.issuer, "client_id": CLIENT_ID, "required_acr": "http://id.sambi.se/loa/loa3"}),
        )
        .await
        .expect(200);
    assert_eq!(
        settings.json["client_secret_set"], true,
        "the secret was kept"
    );
    let nina = json!({"sub": "u-nina", "email": "nina@region.se"});

    r.idp.next_person(nina.clone());
    r.idp.acr(Some("http://id.sambi.se/loa/loa2"));
    let browser = Browser::new(&app);
    let start = browser
        .get(&format!("/console/sign-in/start?organisation={}", r.slug))
        .await;
    assert!(
        start.location.as_deref().unwrap().contains("acr_values="),
        "the level is asked for"
    );
    let back = browser.visit(start.location.as_deref().unwrap()).await;
    let page = browser
        .visit(&back_to(browser.base(), back.location.as_deref().unwrap()))
        .await;
    refused(
        &app,
        &browser,
        &page,
        "assurance-too-low",
        "högre tillitsnivå",
    )
    .await;

    r.idp.next_person(nina);
    r.idp.acr(Some("http://id.sambi.se/loa/loa3"));
    let browser = Browser::new(&app);
    assert_eq!(
        moves_on_to(&through_provider(&browser, &r.slug).await),
        "/console/me"
    );
}
both_stores!(a_required_assurance_level_is_asked_for_and_checked);

async fn rotated_signing_keys_are_read_again(app: TestApp) {
    let r = region(&app).await;
    let nina = json!({"sub": "u-nina", "email": "nina@region.se"});
    r.idp.next_person(nina.clone());
    moves_on_to(&through_provider(&Browser::new(&app), &r.slug).await);
    let reads = r.idp.jwks_reads();
    // A second sign-in uses the keys already read.
    r.idp.next_person(nina.clone());
    moves_on_to(&through_provider(&Browser::new(&app), &r.slug).await);
    assert_eq!(r.idp.jwks_reads(), reads);
    // The provider rotates: a token signed with the new key sends Stilla to read them.
    r.idp.rotate_keys();
    r.idp.next_person(nina);
    let browser = Browser::new(&app);
    assert_eq!(
        moves_on_to(&through_provider(&browser, &r.slug).await),
        "/console/me"
    );
    assert!(r.idp.jwks_reads() > reads);
}
both_stores!(rotated_signing_keys_are_read_again);

async fn leaving_ends_the_session_and_signing_out_leaves_the_provider_too(app: TestApp) {
    let r = region(&app).await;
    let nurse = Browser::new(&app);
    r.idp
        .next_person(json!({"sub": "u-nina", "email": "nina@region.se"}));
    through_provider(&nurse, &r.slug).await;
    let me = nurse.get("/console/me").await;
    assert_eq!(me.status, StatusCode::OK);

    // Signing out: Stilla's session ends, and the browser is sent on to the provider's
    // end-session endpoint with the ID token and the way back.
    let out = nurse
        .post("/console/sign-out", &[("csrf", &me.csrf())])
        .await;
    let to = moves_on_to(&out);
    assert!(to.starts_with(&format!("{}/logout?", r.idp.issuer)), "{to}");
    assert!(to.contains("id_token_hint=ey"), "{to}");
    assert!(to.contains(&format!("client_id={CLIENT_ID}")), "{to}");
    assert!(to.contains("post_logout_redirect_uri="), "{to}");
    assert_eq!(nurse.get("/console/me").await.status, StatusCode::SEE_OTHER);

    // The manager is signed in when HR ends their employment: the next page asks them
    // to sign in, and signing in is refused.
    let manager = Browser::new(&app);
    r.idp
        .next_person(json!({"sub": "u-maja", "email": "maja@region.se"}));
    through_provider(&manager, &r.slug).await;
    assert_eq!(manager.get("/console/notices").await.status, StatusCode::OK);
    app.patch(
        &format!("/api/v1/employees/{}", r.manager),
        &app.admin,
        json!({"employment_ends_on": "2021-06-30"}),
    )
    .await
    .expect(200);
    assert_eq!(
        manager.get("/console/notices").await.status,
        StatusCode::SEE_OTHER
    );
}
both_stores!(leaving_ends_the_session_and_signing_out_leaves_the_provider_too);

async fn the_client_secret_is_sealed_and_never_shown(app: TestApp) {
    let r = region(&app).await;
    let view = app
        .get("/api/v1/identity-provider", &app.admin)
        .await
        .expect(200);
    assert!(!view.text.contains(CLIENT_SECRET));
    assert_eq!(
        view.json["redirect_uri"],
        format!("{PUBLIC_URL}/console/sign-in/callback")
    );
    let stored: Vec<String> = app
        .column_values("identity_providers", "client_secret_sealed")
        .await;
    assert_eq!(stored.len(), 1);
    assert!(stored[0].starts_with("v1:") && !stored[0].contains(CLIENT_SECRET));
    let audit = app
        .get("/api/v1/audit?limit=200", &app.admin)
        .await
        .expect(200);
    assert!(!audit.text.contains(CLIENT_SECRET));
    assert!(audit.text.contains("\"client_secret_changed\":true"));

    // A first setup needs the secret; a wrong issuer is refused before anything is kept.
    let (_, other_admin) = app.other_tenant().await;
    let refused = app
        .put(
            "/api/v1/identity-provider",
            &other_admin,
            json!({"issuer": r.idp.issuer, "client_id": CLIENT_ID}),
        )
        .await
        .expect(422);
    assert_eq!(refused.error_fields(), ["client_secret"]);
    let refused = app
        .put(
            "/api/v1/identity-provider",
            &other_admin,
            json!({"issuer": "http://127.0.0.1:9/nothing", "client_id": "c", "client_secret": "s"}),
        )
        .await
        .expect(422);
    assert_eq!(refused.error_fields(), ["issuer"]);
    let refused = app
        .put(
            "/api/v1/identity-provider",
            &other_admin,
            json!({"issuer": "http://idp.region.se", "client_id": "c", "client_secret": "s"}),
        )
        .await
        .expect(422);
    assert_eq!(refused.error_fields(), ["issuer"]);
    app.get("/api/v1/identity-provider", &other_admin)
        .await
        .expect(404);
}
both_stores!(the_client_secret_is_sealed_and_never_shown);

async fn token_sign_in_to_the_console_can_be_turned_off(app: TestApp) {
    // Not before a provider is there to sign in with.
    let refused = app
        .patch(
            "/api/v1/tenant",
            &app.admin,
            json!({"console_token_sign_in": false}),
        )
        .await
        .expect(422);
    assert_eq!(refused.error_fields(), ["console_token_sign_in"]);

    let r = region(&app).await;
    let by_token = Browser::signed_in(&app, &app.admin).await;
    assert_eq!(
        by_token.get("/console/devices").await.status,
        StatusCode::OK
    );
    let tenant = app
        .patch(
            "/api/v1/tenant",
            &app.admin,
            json!({"console_token_sign_in": false}),
        )
        .await
        .expect(200);
    assert_eq!(tenant.json["console_token_sign_in"], false);
    // The token's console session ended at once; signing in with it again is refused
    // with a message that says why; the API still takes the token.
    assert_eq!(
        by_token.get("/console/devices").await.status,
        StatusCode::SEE_OTHER
    );
    let again = Browser::new(&app).sign_in(&app.admin).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert!(
        again.html.contains("API-nycklar fungerar inte här längre"),
        "{}",
        again.html
    );
    app.get("/api/v1/devices", &app.admin).await.expect(200);
    // The sign-in page of the organisation no longer offers the token form.
    let page = Browser::new(&app)
        .get(&format!("/console/sign-in?organisation={}", r.slug))
        .await;
    assert!(page.html.contains("/console/sign-in/start?organisation="));
    assert!(!page.html.contains("name=\"token\""));
    // Nor can the provider go while it is the only way in.
    app.call(
        reqwest::Method::DELETE,
        "/api/v1/identity-provider",
        Some(&app.admin),
        None,
    )
    .await
    .expect(409);

    // Short names are the tenant's own and unique.
    let (_, other_admin) = app.other_tenant().await;
    let taken = app
        .patch("/api/v1/tenant", &other_admin, json!({"slug": r.slug}))
        .await
        .expect(422);
    assert_eq!(taken.error_fields(), ["slug"]);
    app.patch("/api/v1/tenant", &other_admin, json!({"slug": "Ö land"}))
        .await
        .expect(422);
    let renamed = app
        .patch(
            "/api/v1/tenant",
            &other_admin,
            json!({"slug": "region-ost"}),
        )
        .await
        .expect(200);
    assert_eq!(renamed.json["slug"], "region-ost");
}
both_stores!(token_sign_in_to_the_console_can_be_turned_off);

async fn units_name_their_managers_from_the_tenant_only(app: TestApp) {
    let r = region(&app).await;
    let unit = app
        .get(&format!("/api/v1/units/{}", r.unit), &app.admin)
        .await
        .expect(200);
    assert_eq!(unit.json["manager_ids"], json!([r.manager]));
    let (_, other_admin) = app.other_tenant().await;
    let other_unit = app
        .post("/api/v1/units", &other_admin, json!({"name": "Annan"}))
        .await
        .expect(201)
        .id();
    let other_role = app
        .post("/api/v1/roles", &other_admin, json!({"name": "Läkare"}))
        .await
        .expect(201)
        .id();
    let stranger = app
        .post(
            "/api/v1/employees",
            &other_admin,
            json!({"name": "S", "email": "s@annan.se", "unit_id": other_unit, "role_id": other_role, "employment_type": "permanent"}),
        )
        .await
        .expect(201)
        .id();
    let refused = app
        .patch(
            &format!("/api/v1/units/{}", r.ward),
            &app.admin,
            json!({"manager_ids": [stranger]}),
        )
        .await
        .expect(422);
    assert_eq!(refused.error_fields(), ["manager_ids"]);
    let cleared = app
        .patch(
            &format!("/api/v1/units/{}", r.unit),
            &app.admin,
            json!({"manager_ids": []}),
        )
        .await
        .expect(200);
    assert_eq!(cleared.json["manager_ids"], json!([]));
    // Without a unit to manage, the manager signs in as the employee they also are.
    let browser = Browser::new(&app);
    r.idp
        .next_person(json!({"sub": "u-maja", "email": "maja@region.se"}));
    assert_eq!(
        moves_on_to(&through_provider(&browser, &r.slug).await),
        "/console/me"
    );
}
both_stores!(units_name_their_managers_from_the_tenant_only);

async fn an_admin_connects_the_provider_and_names_managers_in_the_console(app: TestApp) {
    let idp = StandInIdp::start().await;
    let unit = app.unit("Avd 3", None).await;
    let role = app.role("Undersköterska").await;
    let maja = app.employee("maja@region.se", &unit, &role).await;
    let admin = Browser::signed_in(&app, &app.admin).await;
    let page = admin.get("/console/sign-in-settings").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.html.contains("/console/sign-in/callback"),
        "the redirect URI to register"
    );
    let csrf = page.csrf();
    let saved = admin
        .post(
            "/console/sign-in-settings/provider",
            &[
                ("csrf", &csrf),
                ("issuer", &idp.issuer),
                ("client_id", CLIENT_ID),
                ("client_secret", CLIENT_SECRET),
                ("identity_claim", "email"),
                ("identity_matches", "email"),
                ("groups_claim", "groups"),
                ("admin_groups", "it-admins\nregion-it"),
                ("urgent_groups", ""),
                ("required_acr", ""),
                ("enabled", "true"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let view = app
        .get("/api/v1/identity-provider", &app.admin)
        .await
        .expect(200);
    assert_eq!(view.json["admin_groups"], json!(["it-admins", "region-it"]));
    assert_eq!(view.json["enabled"], true);
    let page = admin.get("/console/sign-in-settings").await;
    assert!(
        !page.html.contains(CLIENT_SECRET),
        "the secret is never shown"
    );
    assert!(page.html.contains("region-it"));

    // The unit's form names its manager by e-mail; an unknown address is refused.
    let form = admin.get(&format!("/console/units/{unit}")).await;
    let csrf = form.csrf();
    let refused = admin
        .post(
            &format!("/console/units/{unit}"),
            &[
                ("csrf", &csrf),
                ("name", "Avd 3"),
                ("managers", "ingen@region.se"),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let saved = admin
        .post(
            &format!("/console/units/{unit}"),
            &[
                ("csrf", &csrf),
                ("name", "Avd 3"),
                ("managers", "Maja@region.se"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.html);
    let view = app
        .get(&format!("/api/v1/units/{unit}"), &app.admin)
        .await
        .expect(200);
    assert_eq!(view.json["manager_ids"], json!([maja]));
    assert!(
        admin
            .get(&format!("/console/units/{unit}"))
            .await
            .html
            .contains("maja@region.se")
    );

    let slug = app.get("/api/v1/tenant", &app.admin).await.json["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    idp.next_person(json!({"sub": "u-maja", "email": "maja@region.se"}));
    let manager = Browser::new(&app);
    assert_eq!(
        moves_on_to(&through_provider(&manager, &slug).await),
        "/console/notices"
    );
    // Signed in as herself, the manager also has her own working day in the menu.
    assert!(
        manager
            .get("/console/notices")
            .await
            .html
            .contains("href=\"/console/me\"")
    );
}
both_stores!(an_admin_connects_the_provider_and_names_managers_in_the_console);
