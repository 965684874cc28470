//! The `skyfly` binary as an operator runs it (issue 12, items 10–16): stdout carries only a
//! command's data, whatever the logging; read-only commands never create or migrate; bad
//! settings and a busy port fail at once, naming the setting; a saturated database is waited
//! for; SIGTERM ends live streams and exits within the drain deadline.

use skyfly_domain::store::EventStore;
use skyfly_tests::db::{DatabaseGuard, fresh_database, server_url};
use skyfly_tests::process::{Server, skyfly, skyfly_bin, skyfly_within};
use skyfly_tests::workload::{STAFF_EMAIL, STAFF_PASSWORD, database_with_staff, login, wait_until};
use sqlx::Connection;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Long enough for a debug build on a busy machine, short against "forever".
const DEADLINE: Duration = Duration::from_secs(60);

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every line of stdout, each of which must be an event envelope.
fn events_of(out: &std::process::Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let event: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
            assert!(
                event["event_type"].is_string() && event["global_position"].is_u64(),
                "stdout line is not an event envelope: {line}"
            );
            event
        })
        .collect()
}

/// Whether the database `name` exists on the test server.
async fn database_exists(name: &str) -> bool {
    let mut admin = sqlx::PgConnection::connect(&server_url()).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
    n == 1
}

async fn admin(sql: &str) {
    let mut admin = sqlx::PgConnection::connect(&server_url()).await.unwrap();
    sqlx::query(sql).execute(&mut admin).await.unwrap();
}

// Regression (items 10 and 11): log lines went to stdout, so an export redirected to a file
// began with one; and with sqlx's debug logging on, the export held stdout locked while the
// runtime's workers blocked logging to it, and hung forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_export_writes_only_events_to_stdout_whatever_the_logging() {
    let db = fresh_database().await;
    let created = skyfly(
        &db.url,
        &[
            "staff",
            "create",
            "--email",
            "ops@example.com",
            "--password",
            "ops-password-1",
        ],
    );
    assert!(created.status.success(), "{}", stderr(&created));
    // An export has what is readable: wait until a transaction open elsewhere on the server
    // (another test's) no longer holds the account's events back (ADR 0002).
    let store = skyfly_infra::PgEventStore::new(db.pool.clone());
    let committed = store.committed_head().await.unwrap();
    assert!(committed > 0, "the staff account has events");
    skyfly_tests::eventually(DEADLINE, "the events to be readable", || async {
        (store.head_position().await.unwrap() >= committed).then_some(())
    })
    .await;
    // What each filter must show on stderr: that logging was on, and went there.
    for (filter, logged) in [
        ("info", "exported"),
        ("sqlx=debug", "sqlx::query"),
        ("debug", "exported"),
    ] {
        let out = skyfly_within(
            &db.url,
            &["events", "export"],
            &[("RUST_LOG", filter)],
            DEADLINE,
        )
        .await;
        assert!(out.status.success(), "RUST_LOG={filter}: {}", stderr(&out));
        assert!(
            !events_of(&out).is_empty(),
            "RUST_LOG={filter}: the staff account's events are exported"
        );
        assert!(
            stderr(&out).contains(logged),
            "RUST_LOG={filter}: the logs are on stderr: {}",
            stderr(&out)
        );
    }
}

// Regression (item 12): `events` commands created a mistyped database (and migrated an empty
// one), exported nothing and exited 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_commands_neither_create_nor_migrate_a_database() {
    let missing = DatabaseGuard::unborn();
    for args in [
        &["events", "export"][..],
        &["events", "stream", "booking-x"],
        &["projections", "status"],
    ] {
        let out = skyfly_within(missing.url(), args, &[], DEADLINE).await;
        assert!(
            !out.status.success(),
            "{args:?} fails on a missing database"
        );
        assert!(
            stderr(&out).contains(&format!("`{}` does not exist", missing.name())),
            "{args:?}: {}",
            stderr(&out)
        );
        assert!(
            !database_exists(missing.name()).await,
            "{args:?} created the database"
        );
    }

    let empty = DatabaseGuard::unborn();
    admin(&format!("CREATE DATABASE \"{}\"", empty.name())).await;
    for args in [&["events", "export"][..], &["projections", "status"]] {
        let out = skyfly_within(empty.url(), args, &[], DEADLINE).await;
        assert!(
            !out.status.success(),
            "{args:?} fails on a database without the schema"
        );
        assert!(
            stderr(&out).contains("no SkyFly schema"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    let mut conn = sqlx::PgConnection::connect(empty.url()).await.unwrap();
    let tables: i64 =
        sqlx::query_scalar("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            .fetch_one(&mut conn)
            .await
            .unwrap();
    let _ = conn.close().await;
    assert_eq!(tables, 0, "nothing was migrated");
}

// Regression (item 13): `SKYFLY_DB_POOL=0` panicked inside sqlx.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_settings_are_usage_errors_that_name_the_setting() {
    let missing = DatabaseGuard::unborn();
    let pool = skyfly_within(
        missing.url(),
        &["events", "export"],
        &[("SKYFLY_DB_POOL", "0")],
        DEADLINE,
    )
    .await;
    assert_eq!(pool.status.code(), Some(2), "{}", stderr(&pool));
    assert!(stderr(&pool).contains("--db-pool"), "{}", stderr(&pool));
    assert!(!stderr(&pool).contains("panicked"), "{}", stderr(&pool));

    let url = skyfly_within(
        "mysql://ops:s3cret-pw@127.0.0.1/skyfly",
        &["events", "export"],
        &[],
        DEADLINE,
    )
    .await;
    assert_eq!(url.status.code(), Some(2), "{}", stderr(&url));
    assert!(stderr(&url).contains("DATABASE_URL"), "{}", stderr(&url));
    assert!(
        !stderr(&url).contains("s3cret-pw"),
        "the password is never echoed"
    );
    assert!(!database_exists(missing.name()).await);
}

// Regression (item 13): a busy port was reported only after migrating and loading the demo.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_on_a_busy_port_fails_at_once_naming_listen_before_touching_the_database() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let fresh = DatabaseGuard::unborn();
    let out = skyfly_within(
        fresh.url(),
        &["serve", "--listen", &addr, "--demo"],
        &[],
        Duration::from_secs(20),
    )
    .await;
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--listen"), "{}", stderr(&out));
    assert!(stderr(&out).contains(&addr), "{}", stderr(&out));
    assert!(
        !database_exists(fresh.name()).await,
        "nothing was created or migrated before the bind failed"
    );
}

/// A login role of the test's own (not a superuser, so that connection limits apply to it),
/// dropped after the databases it owns.
struct Role(String);

impl Drop for Role {
    fn drop(&mut self) {
        let name = self.0.clone();
        let _ = std::thread::spawn(move || {
            skyfly_tests::block_on(admin(&format!("DROP ROLE IF EXISTS \"{name}\"")));
        })
        .join();
    }
}

/// `url` connecting as `user`.
fn as_user(url: &str, user: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap();
    let rest = rest.split_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{user}@{rest}")
}

// Regression (item 15): started while the database had no connection slot free, `serve` gave
// up with `pool timed out`, saying nothing of what it was waiting for.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_waits_for_a_saturated_database_saying_so_then_runs() {
    let db = DatabaseGuard::unborn();
    let role = Role(format!("{}_r", db.name()));
    let db = db; // dropped before the role that owns it
    admin(&format!("CREATE ROLE \"{}\" LOGIN", role.0)).await;
    admin(&format!(
        "CREATE DATABASE \"{}\" OWNER \"{}\" CONNECTION LIMIT 1",
        db.name(),
        role.0
    ))
    .await;
    let url = as_user(db.url(), &role.0);
    let held = sqlx::PgConnection::connect(&url).await.unwrap();

    let mut child = Command::new(skyfly_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--db-pool", "4"])
        .env("DATABASE_URL", &url)
        .env("NATS_URL", "")
        .env("RUST_LOG", "warn")
        .env("SKYFLY_DB_WAIT_SECS", "120")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines = |pipe: Box<dyn Read + Send>, needle: &'static str| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                if line.contains(needle) {
                    let _ = tx.send(line);
                }
            }
        });
        rx
    };
    let waiting = lines(
        Box::new(child.stderr.take().unwrap()),
        "waiting for PostgreSQL",
    );
    let listening = lines(Box::new(child.stdout.take().unwrap()), "http://");
    let said = waiting
        .recv_timeout(DEADLINE)
        .expect("serve says it waits for PostgreSQL");
    assert!(said.contains("too many connections"), "{said}");
    assert!(
        listening.try_recv().is_err(),
        "it does not run before it could connect"
    );
    // Slots free again.
    admin(&format!(
        "ALTER DATABASE \"{}\" CONNECTION LIMIT -1",
        db.name()
    ))
    .await;
    held.close().await.unwrap();
    let line = listening
        .recv_timeout(DEADLINE)
        .expect("serve runs once PostgreSQL takes connections");
    let addr = line
        .split("http://")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap();
    let server = Server {
        child,
        addr: addr.to_owned(),
    };
    // Healthy once its pools fill (a busy server may still turn a connection away at first).
    wait_until("serve to be healthy", DEADLINE, || {
        let (status, _) = server.call("GET", "/api/v1/health", None, None);
        (status == 200).then_some(())
    });
    drop(server);
    drop(db);
    drop(role);
}

// Regression (item 16): SIGTERM waited forever for a live-stream client to hang up.
#[test]
fn sigterm_ends_live_streams_and_exits_within_the_drain_deadline() {
    let nats = skyfly_tests::nats::NatsServer::start();
    let db = database_with_staff();
    let mut server = Server::start_with(
        db.url(),
        &[],
        &[("NATS_URL", &nats.url()), ("SKYFLY_DRAIN_SECS", "5")],
    );
    let token = login(&server, STAFF_EMAIL, STAFF_PASSWORD);
    let mut stream = std::net::TcpStream::connect(&server.addr).unwrap();
    write!(
        stream,
        "GET /api/v1/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
    )
    .unwrap();
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).unwrap(), 1, "the stream answers");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");

    let sent = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let mut rest = Vec::new();
    stream
        .read_to_end(&mut rest)
        .expect("the stream ends (not a read timeout) when the server goes down");
    let status = wait_until("skyfly serve to exit", Duration::from_secs(15), || {
        server.child.try_wait().unwrap()
    });
    assert!(status.success(), "a graceful shutdown exits 0: {status:?}");
}
