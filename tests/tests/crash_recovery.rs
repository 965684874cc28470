//! Crash recovery with the real binary: sagas in flight, SIGKILL, restart; every saga ends
//! terminal and the books balance. Done for kills during three different steps.

use serde_json::Value;
use skyfly_tests::process::{Server, skyfly};
use std::collections::HashMap;
use std::time::{Duration, Instant};

const BOOKINGS: usize = 60;

fn login(server: &Server, email: &str, password: &str) -> String {
    let (status, body) = server.call(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(&format!(r#"{{"email":"{email}","password":"{password}"}}"#)),
    );
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

fn wait_until<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(200));
    }
}

fn count(pool_url: &str, sql: &str) -> i64 {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(pool_url).await.unwrap();
        let n: i64 = sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap();
        let _ = conn.close().await;
        n
    })
}

fn crash_during(step: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (url, _pool) = rt.block_on(skyfly_tests::db::fresh_database());
    assert!(
        skyfly(
            &url,
            &[
                "staff",
                "create",
                "--email",
                "ops@example.com",
                "--password",
                "ops-password-1"
            ]
        )
        .status
        .success()
    );
    let server = Server::start(&url);
    let staff = login(&server, "ops@example.com", "ops-password-1");
    let mut flights = Vec::new();
    for n in 0..2 {
        let (status, body) = server.call(
            "POST",
            "/api/v1/flights",
            Some(&staff),
            Some(&format!(
                r#"{{"flight_number":"SF90{n}","origin":"DFW","destination":"ORD","departure":"2031-01-10T14:00:00Z",
                    "arrival":"2031-01-10T16:30:00Z","cabins":{{"economy":{{"capacity":25,"fare":{{"amount":12345,"currency":"USD"}}}}}}}}"#
            )),
        );
        assert_eq!(status, 201, "{body}");
        flights.push(body["flight_id"].as_str().unwrap().to_owned());
    }
    let mut customers = Vec::new();
    for n in 0..4 {
        let email = format!("c{n}@example.com");
        let (status, _) = server.call(
            "POST",
            "/api/v1/auth/register",
            None,
            Some(&format!(
                r#"{{"email":"{email}","password":"password-123","name":"C{n}"}}"#
            )),
        );
        assert_eq!(status, 201);
        customers.push(login(&server, &email, "password-123"));
    }
    // Slow the chosen step so that many sagas are in it when the process dies.
    let (status, _) = server.call(
        "POST",
        "/api/v1/admin/faults",
        Some(&staff),
        Some(&format!(
            r#"{{"step":"{step}","mode":"delay","delay_ms":300}}"#
        )),
    );
    assert_eq!(status, 201);

    let server = std::sync::Arc::new(server);
    let handles: Vec<_> = (0..BOOKINGS)
        .map(|i| {
            let (server, token, flight) = (server.clone(), customers[i % 4].clone(), flights[i % 2].clone());
            std::thread::spawn(move || {
                let card = if i % 9 == 0 { "4000000000000002" } else { "4242424242424242" };
                let body = format!(
                    r#"{{"flight_id":"{flight}","cabin":"economy","passengers":[{{"first_name":"A","last_name":"B"}}],
                        "contact":{{"email":"a@example.com"}},"payment":{{"card_number":"{card}","exp_month":12,"exp_year":2035,"cvc":"123"}}}}"#
                );
                let (status, body) = server.call("POST", "/api/v1/bookings", Some(&token), Some(&body));
                assert_eq!(status, 202, "{body}");
                (body["booking_id"].as_str().unwrap().to_owned(), token)
            })
        })
        .collect();
    let bookings: Vec<(String, String)> = handles.into_iter().map(|h| h.join().unwrap()).collect();

    // Kill while sagas are in the slowed step.
    let kind = match step {
        "reserve_seats" => "SeatsReserved",
        "authorize_payment" => "PaymentAuthorized",
        _ => "SeatsCommitted",
    };
    wait_until(
        "sagas to reach the slowed step",
        Duration::from_secs(60),
        || {
            (count(
                &url,
                &format!("SELECT count(*) FROM events WHERE event_type = '{kind}'"),
            ) >= 3)
                .then_some(())
        },
    );
    let server = std::sync::Arc::try_unwrap(server)
        .ok()
        .expect("no other handle");
    server.kill();
    let ended = count(
        &url,
        "SELECT count(*) FROM events WHERE event_type = 'SagaEnded'",
    );
    assert!(
        BOOKINGS as i64 - ended >= 50,
        "the kill must catch at least 50 sagas in flight ({ended} of {BOOKINGS} had ended)"
    );

    let server = Server::start(&url);
    let staff = login(&server, "ops@example.com", "ops-password-1");
    let views: HashMap<String, Value> = wait_until(
        "every saga to end after the restart",
        Duration::from_secs(120),
        || {
            let mut views = HashMap::new();
            for (id, _) in &bookings {
                let (_, view) =
                    server.call("GET", &format!("/api/v1/bookings/{id}"), Some(&staff), None);
                if view["status"] == "pending" {
                    return None;
                }
                views.insert(id.clone(), view);
            }
            Some(views)
        },
    );

    // Invariants. Seats sold = passengers on confirmed bookings, per flight; nothing left held.
    for flight in &flights {
        let confirmed = views
            .values()
            .filter(|v| v["flight_id"] == flight.as_str() && v["status"] == "confirmed")
            .count() as u64;
        let (_, f) = server.call("GET", &format!("/api/v1/flights/{flight}"), None, None);
        let c = &f["cabins"]["economy"];
        assert_eq!(
            (c["sold"].as_u64(), c["held"].as_u64()),
            (Some(confirmed), Some(0)),
            "{flight} after a crash during {step}: {f}"
        );
    }
    for (id, view) in &views {
        let status = view["status"].as_str().unwrap();
        assert!(
            ["confirmed", "rejected", "failed"].contains(&status),
            "{id}: {view}"
        );
        let price = view["price"]["amount"].as_i64().unwrap();
        if let Some(payment_id) = view["payment_id"].as_str() {
            let (code, p) = server.call(
                "GET",
                &format!("/api/v1/payments/{payment_id}"),
                Some(&staff),
                None,
            );
            let net = if code == 200 {
                p["captured"]["amount"].as_i64().unwrap()
                    - p["refunded"]["amount"].as_i64().unwrap()
            } else {
                0
            };
            let expected = if status == "confirmed" { price } else { 0 };
            assert_eq!(
                net, expected,
                "{id} ({status}) after a crash during {step}: payment {p}"
            );
        }
        // Miles: earned − revoked for this booking is the accrual if confirmed, else nothing.
        let miles = count(
            &url,
            &format!(
                "SELECT coalesce(sum(CASE event_type WHEN 'MilesAwarded' THEN (payload->>'miles')::bigint \
                 ELSE -(payload->>'miles')::bigint END), 0)::bigint FROM events \
                 WHERE event_type IN ('MilesAwarded', 'MilesRevoked') AND payload->>'booking_id' = '{id}'"
            ),
        );
        assert_eq!(
            miles,
            if status == "confirmed" { 123 } else { 0 },
            "{id} ({status}) miles after a crash during {step}"
        );
    }
    // Nothing took effect twice.
    let doubled = count(
        &url,
        "SELECT count(*) FROM (SELECT stream_id, event_type, payload->>'booking_id' AS b, count(*) FROM events \
         WHERE event_type IN ('SeatsReserved', 'SeatsCommitted', 'PaymentCaptured', 'MilesAwarded', 'BookingConfirmed') \
         GROUP BY 1, 2, 3 HAVING count(*) > 1) d",
    );
    assert_eq!(
        doubled, 0,
        "an effect was applied twice after a crash during {step}"
    );
    // Each loyalty balance = earned − revoked − redeemed + restored − expired, and all the miles
    // held are what the confirmed bookings earned.
    let accounts = rt.block_on(async {
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        let streams: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT stream_id FROM events WHERE stream_id LIKE 'loyalty-%'",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let store = skyfly_infra::PgEventStore::new(pool.clone());
        let mut accounts = Vec::new();
        for stream in streams {
            let events = skyfly_domain::store::EventStore::read_stream(&store, &stream, 0)
                .await
                .unwrap();
            let decoded: Vec<skyfly_domain::loyalty::LoyaltyEvent> = events
                .iter()
                .map(|e| skyfly_domain::event::decode(e).unwrap())
                .collect();
            accounts.push(skyfly_domain::aggregate::fold::<
                skyfly_domain::loyalty::LoyaltyAccount,
            >(decoded.iter()));
        }
        accounts
    });
    assert_eq!(accounts.len(), 4);
    let confirmed_total = views
        .values()
        .filter(|v| v["status"] == "confirmed")
        .count() as u64
        * 123;
    let mut balances = 0;
    for a in &accounts {
        let t = a.totals();
        assert_eq!(
            a.balance(),
            t.earned - t.revoked - t.redeemed + t.restored - t.expired,
            "after a crash during {step}"
        );
        balances += a.balance();
    }
    assert_eq!(
        balances, confirmed_total,
        "miles held = miles earned by confirmed bookings, after a crash during {step}"
    );
    server.kill();
}

#[test]
fn sagas_survive_a_sigkill_during_seat_reservation() {
    crash_during("reserve_seats");
}

#[test]
fn sagas_survive_a_sigkill_during_payment_authorization() {
    crash_during("authorize_payment");
}

#[test]
fn sagas_survive_a_sigkill_while_confirming() {
    crash_during("confirm_booking");
}
