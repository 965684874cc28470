//! NATS JetStream against a `nats-server` of each test's own: the relay delivers every committed
//! event exactly once and in global order, across an outage of NATS and a SIGKILL of the engine;
//! commands keep working while NATS is down (health says degraded); the live stream shows staff
//! everything and a customer only their own bookings.

use axum::http::StatusCode;
use futures::StreamExt;
use serde_json::Value;
use skyfly_tests::app::TestApp;
use skyfly_tests::nats::{NatsServer, stream_contents};
use skyfly_tests::process::Server;
use skyfly_tests::workload::{Workload, count, database_with_staff, wait_until};
use std::sync::Arc;
use std::time::Duration;

const OK_CARD: &str = "4242424242424242";
const DECLINED: &str = "4000000000000002";
const STREAM: &str = "SKYFLY_EVENTS";

/// The log, in global order: event ids.
async fn log_ids(pool: &sqlx::PgPool) -> Vec<uuid::Uuid> {
    sqlx::query_scalar("SELECT event_id FROM events ORDER BY global_position")
        .fetch_all(pool)
        .await
        .unwrap()
}

/// Waits until every committed event is readable and the relay has published up to it.
async fn relay_caught_up(app: &TestApp) {
    let store = app.state.bus.store();
    let relay = app.state.relay.as_ref().expect("a relay").status();
    skyfly_tests::eventually(
        Duration::from_secs(30),
        "the relay to publish the whole log",
        || async {
            let committed = store.committed_head().await.ok()?;
            let readable = store.head_position().await.ok()?;
            (readable == committed && relay.position() == committed).then_some(())
        },
    )
    .await;
}

async fn settled(app: &TestApp, staff: &str, id: &str) -> Value {
    skyfly_tests::eventually(Duration::from_secs(30), "the booking to settle", || async {
        let r = app
            .get(&format!("/api/v1/bookings/{id}"), Some(staff))
            .await;
        (r.status == StatusCode::OK && r.body["status"] != "pending").then_some(r.body)
    })
    .await
}

async fn health(app: &TestApp) -> Value {
    app.get("/api/v1/health", None).await.body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_event_reaches_jetstream_once_and_in_order_across_a_nats_outage() {
    let mut nats = NatsServer::start();
    let app = TestApp::with_nats(Some(nats.url())).await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    let bob = app.customer("bob@example.com").await;

    // Before the outage: a confirmed and a failed booking.
    let first = app.book(&ada, &flight, "economy", 1, OK_CARD).await;
    let declined = app.book(&bob, &flight, "economy", 1, DECLINED).await;
    assert_eq!(settled(&app, &staff, &first).await["status"], "confirmed");
    assert_eq!(settled(&app, &staff, &declined).await["status"], "failed");
    relay_caught_up(&app).await;
    assert_eq!(health(&app).await["status"], "ok");

    // NATS goes away mid-workload: commands keep working, health says degraded.
    nats.stop();
    skyfly_tests::eventually(
        Duration::from_secs(10),
        "health to say degraded",
        || async {
            let h = health(&app).await;
            (h["status"] == "degraded" && h["checks"]["nats"] == "unreachable").then_some(())
        },
    )
    .await;
    let during = [
        app.book(&ada, &flight, "economy", 1, OK_CARD).await,
        app.book(&bob, &flight, "economy", 1, DECLINED).await,
        app.book(&bob, &flight, "economy", 1, OK_CARD).await,
    ];
    for id in &during {
        assert_ne!(settled(&app, &staff, id).await["status"], "pending");
    }
    let cancel = app
        .post(
            &format!("/api/v1/bookings/{first}/cancel"),
            Some(&ada),
            "{}",
        )
        .await;
    assert_eq!(cancel.status, StatusCode::ACCEPTED, "{:?}", cancel.body);
    skyfly_tests::eventually(Duration::from_secs(30), "the cancellation", || async {
        (settled(&app, &staff, &first).await["status"] == "cancelled").then_some(())
    })
    .await;

    // NATS comes back: the relay catches up, health recovers, and the workload goes on.
    nats.resume();
    let after = app.book(&ada, &flight, "economy", 1, OK_CARD).await;
    assert_eq!(settled(&app, &staff, &after).await["status"], "confirmed");
    relay_caught_up(&app).await;
    skyfly_tests::eventually(Duration::from_secs(10), "health to recover", || async {
        (health(&app).await["status"] == "ok").then_some(())
    })
    .await;

    let published: Vec<uuid::Uuid> = stream_contents(&nats.url(), STREAM)
        .await
        .iter()
        .map(|e| e.event_id.0)
        .collect();
    let log = log_ids(&app.pool).await;
    assert!(log.len() > 60, "a real workload: {} events", log.len());
    assert_eq!(
        published, log,
        "JetStream holds the log exactly once, in global order"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_live_stream_shows_staff_everything_and_customers_their_own_bookings() {
    let nats = NatsServer::start();
    let app = TestApp::with_nats(Some(nats.url())).await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    let bob = app.customer("bob@example.com").await;
    relay_caught_up(&app).await;

    let open = |token: String| {
        let router = app.router.clone();
        async move {
            use tower::ServiceExt;
            let response = router
                .oneshot(
                    axum::http::Request::get("/api/v1/stream")
                        .header("authorization", format!("Bearer {token}"))
                        .body(axum::body::Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            assert_eq!(
                response.headers()["content-type"],
                "text/event-stream",
                "server-sent events"
            );
            response.into_body().into_data_stream()
        }
    };
    let mut staff_feed = open(staff.clone()).await;
    let mut ada_feed = open(ada.clone()).await;
    let anonymous = app.get("/api/v1/stream", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    let bobs = app.book(&bob, &flight, "economy", 1, OK_CARD).await;
    assert_eq!(settled(&app, &staff, &bobs).await["status"], "confirmed");
    let adas = app.book(&ada, &flight, "economy", 1, OK_CARD).await;
    assert_eq!(settled(&app, &staff, &adas).await["status"], "confirmed");

    /// Reads SSE `data:` envelopes until one is `BookingConfirmed` of `until`; all read.
    async fn read_until(
        feed: &mut (impl futures::Stream<Item = Result<axum::body::Bytes, axum::Error>> + Unpin),
        until: &str,
    ) -> Vec<Value> {
        let mut seen = Vec::new();
        let mut buffer = String::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let chunk = tokio::time::timeout_at(deadline, feed.next())
                .await
                .expect("the event arrives on the live stream")
                .expect("the stream stays open")
                .unwrap();
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buffer.find("\n\n") {
                let frame: String = buffer.drain(..end + 2).collect();
                let Some(data) = frame.lines().find_map(|l| l.strip_prefix("data:")) else {
                    continue; // a keep-alive comment
                };
                let event: Value = serde_json::from_str(data.trim()).unwrap();
                let done = event["event_type"] == "BookingConfirmed"
                    && event["stream_id"] == format!("booking-{until}");
                seen.push(event);
                if done {
                    return seen;
                }
            }
        }
    }
    let staff_saw = read_until(&mut staff_feed, &adas).await;
    let ada_saw = read_until(&mut ada_feed, &adas).await;
    let about = |events: &[Value], booking: &str| {
        events
            .iter()
            .filter(|e| e["metadata"]["correlation_id"] == booking)
            .count()
    };
    assert!(about(&staff_saw, &bobs) > 5, "staff see bob's booking");
    assert!(about(&staff_saw, &adas) > 5, "staff see ada's booking");
    assert_eq!(about(&ada_saw, &bobs), 0, "ada never sees bob's booking");
    assert_eq!(
        about(&ada_saw, &adas),
        ada_saw.len(),
        "ada sees only her own booking's events"
    );
    assert_eq!(
        about(&ada_saw, &adas),
        about(&staff_saw, &adas),
        "and all of them"
    );
    // Every frame is the log's envelope, in global order.
    let positions: Vec<u64> = staff_saw
        .iter()
        .map(|e| e["global_position"].as_u64().unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
}

/// The engine (a real process) is killed mid-workload and started again: the relay picks up
/// where the stream ends, so nothing is lost and nothing is published twice.
#[test]
fn a_sigkilled_engine_resumes_relaying_without_loss_or_duplicates() {
    let nats = NatsServer::start();
    let db = database_with_staff();
    let url = db.url().to_owned();
    let env = [("NATS_URL", nats.url())];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = Server::start_with(&url, &[], &env);
    let workload = Workload::set_up(&url, &server);
    workload.slow_down(&server, "authorize_payment", 100);
    let server = Arc::new(server);
    let mut bookings = workload.place(&server, 30);
    wait_until(
        "events to be relayed while sagas are in flight",
        Duration::from_secs(60),
        || {
            (count(
                &url,
                "SELECT position FROM process_checkpoints WHERE process = 'nats_relay' \
                 UNION ALL SELECT 0 ORDER BY 1 DESC LIMIT 1",
            ) > 0
                && count(
                    &url,
                    "SELECT count(*) FROM events WHERE event_type = 'PaymentAuthorized'",
                ) >= 3)
                .then_some(())
        },
    );
    Arc::try_unwrap(server).ok().expect("one handle").kill();

    let server = Arc::new(Server::start_with(&url, &[], &env));
    bookings.extend(workload.place(&server, 10));
    let views = workload.await_terminal(&server, &bookings, Duration::from_secs(120));
    workload.check_books(&server, &views, "after a SIGKILL with the relay running");

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pool = rt.block_on(sqlx::PgPool::connect(&url)).unwrap();
    let published = wait_until(
        "the relay to publish the whole log",
        Duration::from_secs(60),
        || {
            let log = rt.block_on(log_ids(&pool));
            let published: Vec<uuid::Uuid> = rt
                .block_on(stream_contents(&nats.url(), STREAM))
                .iter()
                .map(|e| e.event_id.0)
                .collect();
            // Stop waiting as soon as the stream holds as many: then it must be the log.
            (published.len() >= log.len() && rt.block_on(log_ids(&pool)).len() == log.len())
                .then_some((published, log))
        },
    );
    assert_eq!(
        published.0, published.1,
        "JetStream holds the log exactly once, in global order, across the kill"
    );
}
