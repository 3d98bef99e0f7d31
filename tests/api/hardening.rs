//! Bad input, abuse and stale credentials (issue 17): each reproduction answered with a
//! clear 4xx, the service still serving everyone, nothing half-written.
use std::time::Duration;

use chrono::Utc;
use reqwest::{Method, StatusCode, multipart};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::{
    console::Browser,
    helpers::{TestApp, apns_token, both_stores},
    notices::{always_working, employee_token, phone},
};

/// Sends a request by hand: `head` (request line and headers, without the blank line),
/// then `body`, and keeps the connection open; answers the status line and headers the
/// server sent, or `None` if it sent nothing within `wait`.
async fn raw_request(app: &TestApp, head: &str, body: &[u8], wait: Duration) -> Option<String> {
    let address = app.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(format!("{head}\r\nHost: {address}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    stream.write_all(body).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let read = tokio::time::timeout(wait, stream.read(&mut answer)).await;
    match read {
        Ok(Ok(n)) if n > 0 => Some(String::from_utf8_lossy(&answer[..n]).into_owned()),
        _ => None,
    }
}

/// The seconds a refusal's `Retry-After` asks for.
fn retry_after_of(response: &reqwest::Response) -> u64 {
    response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

fn status_of(answer: &str) -> u16 {
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

async fn nurse(app: &TestApp) -> String {
    let unit = app.unit("Avd 3", None).await;
    let role = app.role("Sjuksköterska").await;
    app.employee("nurse@region.se", &unit, &role).await
}

/// 20,000 nested components once overflowed the parser's stack and aborted the process
/// for every tenant.
async fn a_deeply_nested_calendar_is_refused_and_the_service_stays_up(app: TestApp) {
    let employee = nurse(&app).await;
    let mut calendar = String::from("BEGIN:VCALENDAR\r\n");
    calendar.push_str(&"BEGIN:X\r\n".repeat(20_000));
    calendar.push_str(&"END:X\r\n".repeat(20_000));
    calendar.push_str("END:VCALENDAR\r\n");
    let answer = app
        .client
        .post(format!(
            "{}/api/v1/import/shifts?employee_id={employee}&dry_run=true",
            app.base
        ))
        .bearer_auth(&app.admin)
        .header("content-type", "text/calendar")
        .body(calendar)
        .send()
        .await
        .expect("the service answers");
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = answer.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "body");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("nested more than 8 deep"),
        "{problem}"
    );
    // Still serving, this tenant and another.
    app.get("/api/v1/units", &app.admin).await.expect(200);
    let (_, other) = app.other_tenant().await;
    app.get("/api/v1/units", &other).await.expect(200);
    assert_eq!(app.count("shifts").await, 0);
}
both_stores!(a_deeply_nested_calendar_is_refused_and_the_service_stays_up);

/// An upload is refused before its body is read: by role, by declared size, and by time
/// when it comes too slowly.
async fn uploads_are_refused_before_their_body_is_read(app: TestApp) {
    let employee = nurse(&app).await;
    let staff = employee_token(&app, &employee).await;
    let wait = Duration::from_secs(20);
    // An employee announcing 60 MiB and sending 1 KB: refused at once, not waited for.
    let forbidden = raw_request(
        &app,
        &format!(
            "POST /api/v1/import/devices?dry_run=true HTTP/1.1\r\nAuthorization: Bearer {staff}\r\n\
             Content-Type: text/csv\r\nContent-Length: {}",
            60 * 1024 * 1024
        ),
        &[b'x'; 1024],
        wait,
    )
    .await
    .expect("an answer without the rest of the body");
    assert_eq!(status_of(&forbidden), 403, "{forbidden}");

    // An admin announcing more than the import limit: 413 before a byte is read.
    let too_large = raw_request(
        &app,
        &format!(
            "POST /api/v1/import/devices?dry_run=true HTTP/1.1\r\nAuthorization: Bearer {}\r\n\
             Content-Type: text/csv\r\nContent-Length: {}",
            app.admin,
            65 * 1024 * 1024
        ),
        b"",
        wait,
    )
    .await
    .expect("an answer");
    assert_eq!(status_of(&too_large), 413, "{too_large}");
    assert!(
        too_large.contains("application/problem+json"),
        "{too_large}"
    );

    // An admin announcing 1 MiB and sending 1 KB: the import's time runs out (2 s here),
    // answered with a 408, nothing imported.
    let slow = raw_request(
        &app,
        &format!(
            "POST /api/v1/import/devices HTTP/1.1\r\nAuthorization: Bearer {}\r\n\
             Content-Type: text/csv\r\nContent-Length: {}",
            app.admin,
            1024 * 1024
        ),
        b"kind,manufacturer,model,serial_number,ownership\n",
        wait,
    )
    .await
    .expect("an answer once the time is up");
    assert_eq!(status_of(&slow), 408, "{slow}");
    assert_eq!(app.count("devices").await, 0);

    // A JSON body over the ordinary limit (64 KiB here), chunked so that no length
    // is announced: cut off as it streams.
    let big = json!({"name": "x".repeat(100 * 1024)}).to_string();
    let chunked = format!("{:x}\r\n{big}\r\n0\r\n\r\n", big.len());
    let answer = raw_request(
        &app,
        &format!(
            "POST /api/v1/units HTTP/1.1\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nTransfer-Encoding: chunked",
            app.admin
        ),
        chunked.as_bytes(),
        wait,
    )
    .await
    .expect("an answer");
    assert_eq!(status_of(&answer), 413, "{answer}");
    assert_eq!(app.count("units").await, 1);

    // The console's upload: a manager is refused before the file is read, and an admin
    // whose CSRF token is not the form's first field too.
    let unit = app.unit("Avd 4", None).await;
    let manager = app
        .token(json!({"name": "chef", "role": "manager", "unit_ids": [unit]}))
        .await;
    let boss = Browser::signed_in(&app, &manager).await;
    let csrf = boss.get("/console/notices").await.csrf();
    let upload = || {
        multipart::Form::new()
            .text("csrf", csrf.clone())
            .text("kind", "devices")
            .part(
                "file",
                multipart::Part::bytes(b"kind,manufacturer\n".to_vec()).file_name("d.csv"),
            )
    };
    let refused = boss.post_multipart("/console/import", upload()).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let admin = Browser::signed_in(&app, &app.admin).await;
    let admin_csrf = admin.get("/console/import").await.csrf();
    let file_first = multipart::Form::new()
        .part(
            "file",
            multipart::Part::bytes(b"kind,manufacturer\n".to_vec()).file_name("d.csv"),
        )
        .text("csrf", admin_csrf);
    let refused = admin.post_multipart("/console/import", file_first).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}
both_stores!(uploads_are_refused_before_their_body_is_read, |config| {
    config.limits.import_timeout_seconds = 2;
    config.limits.body_bytes = 64 * 1024;
});

/// Every request slot busy: the next request waits briefly, then gets a 503 with
/// `Retry-After`; health stays answered.
async fn a_full_house_answers_503_and_health_still_answers(app: TestApp) {
    // One slot, held by an upload whose body never comes.
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut holder = TcpStream::connect(&address).await.unwrap();
    holder
        .write_all(
            format!(
                "POST /api/v1/import/devices HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
                 Content-Type: text/csv\r\nContent-Length: 1000\r\n\r\nkind",
                app.admin
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut busy = None;
    for _ in 0..50 {
        let answer = app
            .call(Method::GET, "/api/v1/units", Some(&app.admin), None)
            .await;
        if answer.status == StatusCode::SERVICE_UNAVAILABLE {
            busy = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let busy = busy.expect("a 503 while the only slot is held");
    assert_eq!(busy.content_type, "application/problem+json");
    let health = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    drop(holder);
    // Once the slot is free again, requests go through.
    let mut served = false;
    for _ in 0..100 {
        if app.get("/api/v1/units", &app.admin).await.status == StatusCode::OK {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(served, "the slot comes back when its request ends");
}
both_stores!(
    a_full_house_answers_503_and_health_still_answers,
    |config| {
        config.limits.concurrent_requests = 1;
        config.limits.queue_wait_ms = 100;
        config.limits.import_timeout_seconds = 60;
    }
);

/// Spreadsheet formulas in stored text are written as text into every CSV.
async fn csv_exports_neutralise_formulas(app: TestApp) {
    app.device(
        "SER-1",
        json!({"manufacturer": "=cmd|' /C calc'!A0", "model": "@SUM(A1)"}),
    )
    .await
    .expect(201);
    let csv = app
        .client
        .get(format!("{}/api/v1/devices?format=csv", app.base))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().clone();
    let row = reader.records().next().unwrap().unwrap();
    let cell = |name: &str| row[headers.iter().position(|h| h == name).unwrap()].to_owned();
    assert_eq!(cell("manufacturer"), "'=cmd|' /C calc'!A0");
    assert_eq!(cell("model"), "'@SUM(A1)");
    assert_eq!(cell("serial_number"), "SER-1");
}
both_stores!(csv_exports_neutralise_formulas);

/// Wrong tokens are 401 until the client's allowance is spent, then 429 with
/// `Retry-After` for every attempt from it, a right token included.
async fn failed_authentication_is_limited_per_client(app: TestApp) {
    for attempt in 0..5 {
        let answer = app
            .get("/api/v1/units", &format!("stl_wrong{attempt}"))
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let refused = app
        .client
        .get(format!("{}/api/v1/units", app.base))
        .bearer_auth("stl_wrong-again")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after = retry_after_of(&refused);
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    app.get("/api/v1/units", &app.admin).await.expect(429);
    // The console's sign-in shares the count.
    let browser = Browser::new(&app);
    assert_eq!(
        browser.sign_in(&app.admin).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}
both_stores!(failed_authentication_is_limited_per_client, |config| {
    config.limits.failed_auth_per_minute = 5;
});

/// Each token has a request budget; another token's is its own.
async fn a_token_has_a_request_budget(app: TestApp) {
    let other = app
        .token(json!({"name": "integration", "role": "admin"}))
        .await;
    let mut refused = None;
    for _ in 0..20 {
        let answer = app
            .client
            .get(format!("{}/api/v1/units", app.base))
            .bearer_auth(&app.admin)
            .send()
            .await
            .unwrap();
        if answer.status() == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(answer);
            break;
        }
    }
    let refused = refused.expect("the budget runs out");
    assert!(refused.headers().contains_key("retry-after"));
    app.get("/api/v1/units", &other).await.expect(200);
}
both_stores!(a_token_has_a_request_budget, |config| {
    config.limits.token_requests_per_second = 1;
    config.limits.token_request_burst = 10;
});

/// Report windows are bounded, each report by its own documented maximum.
async fn report_windows_are_bounded(app: TestApp) {
    for (path, max) in [
        ("utilization", 365),
        ("returns-due", 365),
        ("schedule-gaps", 365),
        ("contracts-expiring", 730),
    ] {
        app.get(&format!("/api/v1/reports/{path}?days={max}"), &app.admin)
            .await
            .expect(200);
        let refused = app
            .get(
                &format!("/api/v1/reports/{path}?days={}", max + 1),
                &app.admin,
            )
            .await
            .expect(422);
        assert_eq!(refused.error_fields(), vec!["days"], "{path}");
    }
}
both_stores!(report_windows_are_bounded);

/// One sender's urgent notices are bounded per hour; other priorities are not.
async fn urgent_notices_are_bounded_per_sender(app: TestApp) {
    let unit = app.unit("Akuten", None).await;
    let role = app.role("Läkare").await;
    let doctor = app.employee("doc@region.se", &unit, &role).await;
    always_working(&app, &doctor).await;
    phone(&app, &doctor).await;
    let urgent = json!({"title": "Inkallning", "body": "Kom in", "priority": "urgent",
        "audience": {"unit_ids": [unit]}, "urgent_reason": "Storlarm"});
    for _ in 0..2 {
        app.post("/api/v1/notices", &app.admin, urgent.clone())
            .await
            .expect(201);
    }
    let refused = app
        .client
        .post(format!("{}/api/v1/notices", app.base))
        .bearer_auth(&app.admin)
        .json(&urgent)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after = retry_after_of(&refused);
    assert!((3000..=3600).contains(&retry_after), "{retry_after}");
    assert_eq!(
        app.count("notices").await,
        2,
        "the refused one wrote nothing"
    );
    let important = json!({"title": "Möte", "body": "Kl 14", "priority": "important",
        "audience": {"unit_ids": [unit]}});
    app.post("/api/v1/notices", &app.admin, important)
        .await
        .expect(201);
    // Another sender has an hour of their own.
    let other = app
        .token(json!({"name": "vakthavande", "role": "admin"}))
        .await;
    app.post("/api/v1/notices", &other, urgent)
        .await
        .expect(201);
}
both_stores!(urgent_notices_are_bounded_per_sender, |config| {
    config.limits.urgent_notices_per_hour = 2;
});

async fn set_timestamp(app: &TestApp, table: &str, column: &str, id: &str, ago_minutes: i64) {
    let at = Utc::now() - chrono::Duration::minutes(ago_minutes);
    let backend = app.db.get_database_backend();
    let sql = match backend {
        sea_orm::DatabaseBackend::Postgres => {
            format!("UPDATE {table} SET {column} = $1 WHERE id = $2")
        }
        _ => format!("UPDATE {table} SET {column} = ? WHERE id = ?"),
    };
    let id = uuid::Uuid::parse_str(id).unwrap();
    app.db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [at.into(), id.into()],
        ))
        .await
        .unwrap();
}

/// A token may end by itself; a past expiry is refused when it is made.
async fn tokens_expire(app: TestApp) {
    let past = (Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    let refused = app
        .post(
            "/api/v1/tokens",
            &app.admin,
            json!({"name": "x", "role": "admin", "expires_at": past}),
        )
        .await
        .expect(422);
    assert_eq!(refused.error_fields(), vec!["expires_at"]);
    let soon = (Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let issued = app
        .post(
            "/api/v1/tokens",
            &app.admin,
            json!({"name": "for the afternoon", "role": "admin", "expires_at": soon}),
        )
        .await
        .expect(201);
    assert!(issued.json["expires_at"].is_string());
    let secret = issued.json["token"].as_str().unwrap().to_owned();
    // The hour has passed (the clock moved by the database).
    set_timestamp(&app, "api_tokens", "expires_at", &issued.id(), 1).await;
    app.get("/api/v1/units", &secret).await.expect(401);
    assert_eq!(
        Browser::new(&app).sign_in(&secret).await.status,
        StatusCode::UNAUTHORIZED
    );
}
both_stores!(tokens_expire);

/// When a person's employment ends, their token and console session stop at once.
async fn ended_employment_ends_every_credential(app: TestApp) {
    let employee = nurse(&app).await;
    let token = employee_token(&app, &employee).await;
    app.get("/api/v1/me", &token).await.expect(200);
    let browser = Browser::signed_in(&app, &token).await;
    assert_eq!(browser.get("/console/me").await.status, StatusCode::OK);

    let yesterday = (Utc::now() - chrono::Duration::days(1)).date_naive();
    app.patch(
        &format!("/api/v1/employees/{employee}"),
        &app.admin,
        json!({"employment_type": "temporary", "employment_ends_on": yesterday}),
    )
    .await
    .expect(200);
    app.get("/api/v1/me", &token).await.expect(401);
    assert_eq!(
        browser.get("/console/me").await.status,
        StatusCode::SEE_OTHER
    );
    // Their history stays.
    app.get(&format!("/api/v1/employees/{employee}"), &app.admin)
        .await
        .expect(200);
}
both_stores!(ended_employment_ends_every_credential);

/// Console sessions end when idle, and signing in again ends the session the browser had.
async fn console_sessions_end_when_idle_and_are_renewed_at_sign_in(app: TestApp) {
    let browser = Browser::signed_in(&app, &app.admin).await;
    assert_eq!(browser.get("/console").await.status, StatusCode::OK);
    let first = sessions(&app).await;
    assert_eq!(first.len(), 1);
    // Signing in again: a new session, the old one gone.
    let again = browser.sign_in(&app.admin).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let second = sessions(&app).await;
    assert_eq!(second.len(), 1);
    assert_ne!(first, second, "a fresh session id at sign-in");
    assert_eq!(browser.get("/console").await.status, StatusCode::OK);
    // Idle past the timeout (31 minutes of 30): signed out.
    set_timestamp(&app, "web_sessions", "last_seen_at", &second[0], 31).await;
    assert_eq!(browser.get("/console").await.status, StatusCode::SEE_OTHER);
    assert!(sessions(&app).await.is_empty(), "the idle session is gone");
}
both_stores!(console_sessions_end_when_idle_and_are_renewed_at_sign_in);

async fn sessions(app: &TestApp) -> Vec<String> {
    app.db
        .query_all_raw(Statement::from_string(
            app.db.get_database_backend(),
            "SELECT id FROM web_sessions ORDER BY id",
        ))
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get::<uuid::Uuid>("", "id").unwrap().to_string())
        .collect()
}

/// The sign-in form's answer and the cookie it sets.
async fn sign_in_form(app: &TestApp) -> (reqwest::Response, String) {
    let form = app
        .client
        .get(format!("{}/console/sign-in", app.base))
        .send()
        .await
        .unwrap();
    let cookie = form.headers()["set-cookie"].to_str().unwrap().to_owned();
    (form, cookie)
}

/// On an https site cookies are `__Host-` and `Secure`, and responses carry HSTS; every
/// API answer is `no-store`.
async fn https_sites_get_host_cookies_and_hsts(app: TestApp) {
    let (form, cookie) = sign_in_form(&app).await;
    assert!(cookie.starts_with("__Host-stilla_signin_csrf="), "{cookie}");
    assert!(
        cookie.contains("; Secure") && cookie.split("; ").any(|a| a == "Path=/"),
        "{cookie}"
    );
    assert!(
        form.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .starts_with("max-age=")
    );
    let issued = app
        .client
        .post(format!("{}/api/v1/tokens", app.base))
        .bearer_auth(&app.admin)
        .json(&json!({"name": "x", "role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_eq!(issued.status(), StatusCode::CREATED);
    assert_eq!(issued.headers()["cache-control"], "no-store");
}
both_stores!(https_sites_get_host_cookies_and_hsts, |config| {
    config.public_url = "https://stilla.region.example".to_owned();
});

/// On plain http on this machine cookies stay plain (a browser would not send a
/// `Secure` one back) and there is no HSTS.
async fn local_http_keeps_plain_cookies(app: TestApp) {
    let (form, cookie) = sign_in_form(&app).await;
    assert!(cookie.starts_with("stilla_signin_csrf="), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    assert!(!form.headers().contains_key("strict-transport-security"));
}
both_stores!(local_http_keeps_plain_cookies);

/// Sign-ins, refused writes and downloads of personal data are in the audit trail, with
/// the client's address.
async fn security_events_are_audited(app: TestApp) {
    let unit = app.unit("Avd 5", None).await;
    let manager = app
        .token(json!({"name": "chef", "role": "manager", "unit_ids": [unit]}))
        .await;
    Browser::signed_in(&app, &manager).await;
    app.post("/api/v1/units", &manager, json!({"name": "Egen"}))
        .await
        .expect(403);
    app.client
        .get(format!("{}/api/v1/devices?format=csv", app.base))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap();
    let revoked = app.token(json!({"name": "old", "role": "admin"})).await;
    let id = app.get("/api/v1/tokens", &app.admin).await.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "old")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.call(
        Method::DELETE,
        &format!("/api/v1/tokens/{id}"),
        Some(&app.admin),
        None,
    )
    .await
    .expect(204);
    Browser::new(&app).sign_in(&revoked).await;

    let event = |action: &'static str| {
        let app = &app;
        async move {
            let page = app
                .get(&format!("/api/v1/audit?action={action}"), &app.admin)
                .await
                .expect(200)
                .json;
            page["items"].as_array().unwrap().clone()
        }
    };
    let signed = event("sign-in").await;
    assert_eq!(signed.len(), 1);
    assert_eq!(signed[0]["actor"], "chef");
    assert_eq!(signed[0]["after"]["source_address"], "127.0.0.1");
    let refused_sign_in = event("sign-in.refused").await;
    assert_eq!(refused_sign_in.len(), 1);
    assert_eq!(refused_sign_in[0]["actor"], "old");
    let refused = event("access.refused").await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0]["after"]["route"], "/api/v1/units");
    assert_eq!(refused[0]["after"]["method"], "POST");
    let downloads = event("personal-data.download").await;
    assert_eq!(downloads.len(), 1);
    assert_eq!(downloads[0]["after"]["path"], "/api/v1/devices");
}
both_stores!(security_events_are_audited);

/// New working hours without a zone keep the zone a stay abroad set; `null` clears it.
async fn working_hours_keep_a_zone_they_do_not_name(app: TestApp) {
    let employee = nurse(&app).await;
    app.patch(
        &format!("/api/v1/employees/{employee}"),
        &app.admin,
        json!({"time_zone": "Europe/Helsinki"}),
    )
    .await
    .expect(200);
    let day = json!([{"start": "08:00", "end": "16:00"}]);
    let week = json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day});
    let path = format!("/api/v1/employees/{employee}/working-hours");
    let set = app
        .put(&path, &app.admin, json!({"working_hours": week}))
        .await
        .expect(200);
    assert_eq!(set.json["time_zone"], "Europe/Helsinki");
    let stored = app
        .get(&format!("/api/v1/employees/{employee}"), &app.admin)
        .await
        .json;
    assert_eq!(stored["time_zone"], "Europe/Helsinki");
    let cleared = app
        .put(
            &path,
            &app.admin,
            json!({"working_hours": week, "time_zone": null}),
        )
        .await
        .expect(200);
    assert_eq!(cleared.json["time_zone"], Value::Null);

    // A unit the same way.
    let unit = app.unit("Avd Åbo", None).await;
    let unit_path = format!("/api/v1/units/{unit}/working-hours");
    app.put(
        &unit_path,
        &app.admin,
        json!({"working_hours": week, "time_zone": "Europe/Helsinki"}),
    )
    .await
    .expect(200);
    let kept = app
        .put(&unit_path, &app.admin, json!({"working_hours": week}))
        .await
        .expect(200);
    assert_eq!(kept.json["time_zone"], "Europe/Helsinki");
}
both_stores!(working_hours_keep_a_zone_they_do_not_name);

/// A focus length far beyond the domain's limit is a 422, not a 500.
async fn an_absurd_focus_length_is_refused(app: TestApp) {
    let employee = nurse(&app).await;
    let token = employee_token(&app, &employee).await;
    let browser = Browser::signed_in(&app, &token).await;
    let csrf = browser.get("/console/me").await.csrf();
    let refused = browser
        .post(
            "/console/me/focus",
            &[("csrf", &csrf), ("minutes", "999999999999999")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let set = browser
        .post("/console/me/focus", &[("csrf", &csrf), ("minutes", "30")])
        .await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
}
both_stores!(an_absurd_focus_length_is_refused);

/// The OpenAPI document declares every path parameter, so generated clients can call
/// every route; and every JSON write it lists refuses a field it does not know, by name.
async fn the_openapi_document_declares_path_parameters_and_writes_refuse_unknown_fields(
    app: TestApp,
) {
    let doc = app
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await
        .expect(200)
        .json;
    let paths = doc["paths"].as_object().unwrap();
    let mut writes = 0;
    for (path, item) in paths {
        let names: Vec<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        for (method, operation) in item.as_object().unwrap() {
            let declared: Vec<&str> = operation["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .filter_map(|p| p["name"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            for name in &names {
                assert!(
                    declared.contains(name),
                    "{method} {path} does not declare {{{name}}}"
                );
            }
            if operation["requestBody"]["content"]["application/json"].is_null() {
                continue;
            }
            writes += 1;
            let concrete = names.iter().fold(path.clone(), |p, name| {
                p.replace(&format!("{{{name}}}"), &uuid::Uuid::now_v7().to_string())
            });
            let answer = app
                .call(
                    method.to_uppercase().parse().unwrap(),
                    &concrete,
                    Some(&app.admin),
                    Some(json!({"definitely_not_a_field": 1})),
                )
                .await;
            assert_eq!(
                answer.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{method} {path}: {}",
                answer.text
            );
            assert_eq!(
                answer.error_fields(),
                vec!["definitely_not_a_field"],
                "{method} {path}"
            );
        }
    }
    assert!(writes >= 25, "only {writes} JSON writes found");
}
both_stores!(
    the_openapi_document_declares_path_parameters_and_writes_refuse_unknown_fields,
    |config| {
        config.limits.token_requests_per_second = 10_000;
        config.limits.token_request_burst = 10_000;
    }
);

/// A push token registered by another person moves to them, but never silently: the move
/// is audited, and what was waiting for the previous holder is not pushed to the new one.
async fn a_push_token_that_changes_hands_is_audited_and_carries_nothing_over(app: TestApp) {
    let unit = app.unit("Avd 6", None).await;
    let role = app.role("Undersköterska").await;
    let anna = app.employee("anna@region.se", &unit, &role).await;
    let bo = app.employee("bo@region.se", &unit, &role).await;
    always_working(&app, &anna).await;
    phone(&app, &anna).await;
    let tomorrow = (Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    app.post(
        "/api/v1/notices",
        &app.admin,
        json!({"title": "Till Anna", "body": "B", "priority": "info",
            "audience": {"employee_ids": [anna]}, "send_at": tomorrow}),
    )
    .await
    .expect(201);
    let waiting = || async {
        app.db
            .query_one_raw(Statement::from_string(
                app.db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM deliveries WHERE status = 'scheduled'",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap()
    };
    assert_eq!(waiting().await, 1);
    let bo_token = employee_token(&app, &bo).await;
    app.post(
        "/api/v1/me/push-registrations",
        &bo_token,
        json!({"provider": "apns", "token": apns_token(&anna)}),
    )
    .await
    .expect(201);
    assert_eq!(
        waiting().await,
        0,
        "Anna's notice is not pushed to Bo's phone"
    );
    let moved = app
        .get("/api/v1/audit?action=push-registration.moved", &app.admin)
        .await
        .expect(200)
        .json;
    let moved = moved["items"].as_array().unwrap();
    assert_eq!(moved.len(), 1);
    assert_eq!(moved[0]["before"]["employee_id"], json!(anna));
    assert_eq!(moved[0]["after"]["employee_id"], json!(bo));
}
both_stores!(a_push_token_that_changes_hands_is_audited_and_carries_nothing_over);
