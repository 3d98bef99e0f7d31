//! The pinned command line, run as a real process.
use std::{
    io::{BufRead, BufReader},
    process::{Command, Stdio},
    time::Duration,
};

fn stilla() -> Command {
    Command::new(env!("CARGO_BIN_EXE_stilla"))
}

#[test]
fn bootstrap_prints_one_json_line_and_serve_announces_itself_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());

    let migrate = stilla()
        .args(["migrate", "--database", &url])
        .output()
        .unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );

    let mut serve = stilla()
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &url])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(serve.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    let address = loop {
        let line = lines.next().expect("serve printed its address").unwrap();
        printed.push(line.clone());
        if let Some(address) = line.strip_prefix("listening on http://") {
            break address.to_owned();
        }
    };
    let token_line = printed
        .iter()
        .find(|l| l.trim().starts_with("stl_"))
        .expect("the admin token is printed once");
    assert!(
        printed.iter().any(|l| l.contains("Authorization: Bearer")),
        "{printed:?}"
    );

    // Bootstrap works beside the running server on the same database.
    let out = stilla()
        .args(["bootstrap", "--tenant", "Region Test", "--database", &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let created: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let token = created["admin_token"].as_str().unwrap();
    assert!(created["tenant_id"].as_str().is_some());
    assert_ne!(token, token_line.trim());

    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = reqwest::Client::new();
        let units = client
            .get(format!("http://{address}/api/v1/units"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(units.status().as_u16(), 200);
        let units = client
            .get(format!("http://{address}/api/v1/units"))
            .bearer_auth(token_line.trim())
            .send()
            .await
            .unwrap();
        assert_eq!(units.status().as_u16(), 200);
    });

    let killed = Command::new("kill")
        .args(["-TERM", &serve.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = serve.try_wait().unwrap() {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "serve did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "graceful shutdown exits 0: {status:?}");

    // A second start on the same database creates no new Default tenant.
    let mut again = stilla()
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &url])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let first = BufReader::new(again.stdout.take().unwrap())
        .lines()
        .next()
        .unwrap()
        .unwrap();
    assert!(first.starts_with("listening on http://"), "{first}");
    again.kill().unwrap();
    let _ = again.wait();
}

/// `check-config` before a deployment: the effective settings with the database
/// password redacted, what the database lacks, and exit 0; a database that does not
/// answer is a non-zero exit with the reason.
#[test]
fn check_config_reports_and_fails_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("check.db").display()
    );
    let fresh = stilla()
        .args(["check-config", "--database", &url])
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&fresh.stdout);
    assert!(fresh.status.success(), "{printed}");
    assert!(
        printed.contains("migration(s) to apply at the next start"),
        "{printed}"
    );
    assert!(printed.contains("configuration OK"));
    stilla()
        .args(["migrate", "--database", &url])
        .output()
        .unwrap();
    let migrated = stilla()
        .args(["check-config", "--database", &url])
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&migrated.stdout);
    assert!(printed.contains("every migration applied"), "{printed}");

    let away = stilla()
        .args([
            "check-config",
            "--database",
            "postgres://stilla:hunter2@127.0.0.1:1/stilla",
        ])
        .output()
        .unwrap();
    assert!(!away.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&away.stdout),
        String::from_utf8_lossy(&away.stderr)
    );
    assert!(said.contains("opening the database"), "{said}");
    assert!(!said.contains("hunter2"), "no password printed: {said}");
    assert!(said.contains("stilla:[REDACTED]@127.0.0.1:1"), "{said}");
}
