//! The `skyfly` binary as a user runs it: help, migrate, staff accounts, schedule import, and the
//! server answering on a real socket.

use skyfly_tests::process::{skyfly, skyfly_bin};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

fn text(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_migrate_staff_and_import_work_from_the_command_line() {
    let db = skyfly_tests::db::fresh_database().await;
    let url = db.url.clone();
    let help = skyfly(&url, &["--help"]);
    assert!(help.status.success());
    for word in ["serve", "migrate", "staff", "import"] {
        assert!(
            text(&help).contains(word),
            "--help lists {word}: {}",
            text(&help)
        );
    }
    // A database that does not exist yet is created (and dropped with its guard).
    let cli_db = db.sibling("cli");
    let new_url = cli_db.url().to_owned();
    let migrate = skyfly(&new_url, &["migrate"]);
    assert!(migrate.status.success(), "{}", text(&migrate));
    assert!(text(&migrate).contains("migrated"));

    let create = skyfly(
        &url,
        &[
            "staff",
            "create",
            "--email",
            "ops@example.com",
            "--password",
            "ops-password-1",
        ],
    );
    assert!(create.status.success(), "{}", text(&create));
    assert!(
        !text(&create).contains("ops-password-1"),
        "the password is never printed"
    );
    let again = skyfly(
        &url,
        &[
            "staff",
            "create",
            "--email",
            "ops@example.com",
            "--password",
            "ops-password-1",
        ],
    );
    assert!(!again.status.success());
    assert!(text(&again).contains("email_taken"), "{}", text(&again));

    let sample = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/data/sample_schedule.csv"
    );
    let import = skyfly(
        &url,
        &[
            "import",
            "schedule",
            sample,
            "--from",
            "2026-11-30",
            "--days",
            "7",
        ],
    );
    assert!(import.status.success(), "{}", text(&import));
    assert!(
        text(&import).contains(
            "8 lines from 2026-11-30 for 7 days: 4 scheduled, 0 already scheduled, \
             0 outside the range, 4 rejected; 4 flights scheduled, 0 already scheduled"
        ),
        "{}",
        text(&import)
    );
    assert!(
        text(&import).contains("line 6:"),
        "errors carry their line: {}",
        text(&import)
    );
    let again = skyfly(
        &url,
        &[
            "import",
            "schedule",
            sample,
            "--from",
            "2026-11-30",
            "--days",
            "7",
        ],
    );
    assert!(
        text(&again).contains("0 flights scheduled, 4 already scheduled"),
        "{}",
        text(&again)
    );
    // Without --from the CLI starts on today's date (UTC, on the engine's clock).
    let before = chrono::Utc::now().date_naive();
    let today = skyfly(&url, &["import", "schedule", sample, "--days", "1"]);
    let after = chrono::Utc::now().date_naive();
    assert!(today.status.success(), "{}", text(&today));
    assert!(
        [before, after]
            .iter()
            .any(|d| text(&today).contains(&format!("8 lines from {d} for 1 day:"))),
        "{}",
        text(&today)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_listens_and_answers() {
    let db = skyfly_tests::db::fresh_database().await;
    let url = db.url.clone();
    let mut child = Command::new(skyfly_bin())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", &url)
        .env("NATS_URL", "")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start skyfly serve");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.split("http://").nth(1) {
                let _ = tx.send(
                    rest.split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned(),
                );
                return;
            }
        }
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("the server prints its address");
    let get = |path: &str| {
        let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
        use std::io::{Read, Write};
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    };
    let health = get("/api/v1/health");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.contains(r#""event_store":"ok""#), "{health}");
    assert!(
        get("/docs/").contains("swagger-ui"),
        "interactive docs are served from the binary"
    );
    assert!(get("/api/v1/openapi.json").contains("/api/v1/inventory/{flight_id}/reserve"));
    let metrics = get("/metrics");
    assert!(metrics.contains("skyfly_http_requests_total"), "{metrics}");
    child.kill().expect("stop the server");
    let _ = child.wait();
}

/// Item 5 of issue 12: the idempotency keys' time to live is a setting, checked before anything
/// starts.
#[test]
fn a_bad_idempotency_ttl_is_refused_naming_the_setting() {
    for (flag, env) in [(Some("0"), None), (None, Some("a day"))] {
        let mut command = Command::new(skyfly_bin());
        command
            .arg("serve")
            .env("DATABASE_URL", "postgres://127.0.0.1:1/never")
            .env("NATS_URL", "");
        if let Some(v) = flag {
            command.args(["--idempotency-ttl", v]);
        }
        if let Some(v) = env {
            command.env("SKYFLY_IDEMPOTENCY_TTL", v);
        }
        let out = command.output().expect("run skyfly");
        assert!(!out.status.success(), "{}", text(&out));
        assert!(
            text(&out).contains("--idempotency-ttl"),
            "the error names the setting: {}",
            text(&out)
        );
    }
}
