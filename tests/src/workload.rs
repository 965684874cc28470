//! A booking workload against real `skyfly` processes, and the books it must balance afterwards:
//! shared by the crash-recovery and scale-out tests.

use crate::db::DatabaseGuard;
use crate::process::{Server, skyfly};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Miles a booking of the workload earns: floor(123.45 × 1.0 × 1.0).
pub const MILES_PER_BOOKING: u64 = 123;
pub const STAFF_EMAIL: &str = "ops@example.com";
pub const STAFF_PASSWORD: &str = "ops-password-1";

pub fn login(server: &Server, email: &str, password: &str) -> String {
    let (status, body) = server.call(
        "POST",
        "/api/v1/auth/login",
        None,
        Some(&format!(r#"{{"email":"{email}","password":"{password}"}}"#)),
    );
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

/// Polls `check` (blocking) until it answers, or fails after `limit`.
pub fn wait_until<T>(what: &str, limit: Duration, mut check: impl FnMut() -> Option<T>) -> T {
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

/// One `bigint` from the database (blocking).
pub fn count(url: &str, sql: &str) -> i64 {
    crate::block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        let n: i64 = sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap();
        let _ = conn.close().await;
        n
    })
}

/// A fresh database with a staff account (made by the CLI, as an operator would); dropped with
/// the guard (its URL is [`DatabaseGuard::url`]).
pub fn database_with_staff() -> Arc<DatabaseGuard> {
    let db = crate::db::fresh_database_blocking();
    let created = skyfly(
        db.url(),
        &[
            "staff",
            "create",
            "--email",
            STAFF_EMAIL,
            "--password",
            STAFF_PASSWORD,
        ],
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    db
}

/// Two flights of 25 economy seats at $123.45 and four customers, made through `server`.
#[derive(Debug, Clone)]
pub struct Workload {
    pub url: String,
    pub staff: String,
    pub flights: Vec<String>,
    pub customers: Vec<String>,
}

impl Workload {
    pub fn set_up(url: &str, server: &Server) -> Self {
        let staff = login(server, STAFF_EMAIL, STAFF_PASSWORD);
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
            customers.push(login(server, &email, "password-123"));
        }
        Self {
            url: url.to_owned(),
            staff,
            flights,
            customers,
        }
    }

    /// Slows `step` by `ms` on every saga (a fault armed by staff), so that many sagas are in it
    /// at once.
    pub fn slow_down(&self, server: &Server, step: &str, ms: u64) {
        let (status, _) = server.call(
            "POST",
            "/api/v1/admin/faults",
            Some(&self.staff),
            Some(&format!(
                r#"{{"step":"{step}","mode":"delay","delay_ms":{ms}}}"#
            )),
        );
        assert_eq!(status, 201);
    }

    /// The body of the `i`th booking of a workload (every ninth with a declined card).
    fn booking_body(&self, i: usize) -> String {
        let flight = &self.flights[i % self.flights.len()];
        let card = if i.is_multiple_of(9) {
            "4000000000000002"
        } else {
            "4242424242424242"
        };
        format!(
            r#"{{"flight_id":"{flight}","cabin":"economy","passengers":[{{"first_name":"A","last_name":"B"}}],
                "contact":{{"email":"a@example.com"}},"payment":{{"card_number":"{card}","exp_month":12,"exp_year":2035,"cvc":"123"}}}}"#
        )
    }

    /// Places `n` bookings at once (every ninth with a declined card); their ids.
    pub fn place(&self, server: &Arc<Server>, n: usize) -> Vec<String> {
        self.place_keyed(server, n, None)
            .into_iter()
            .enumerate()
            .map(|(i, placed)| match placed {
                Ok(id) => id,
                Err(answer) => panic!("booking {i}: {answer}"),
            })
            .collect()
    }

    /// Places `n` bookings at once, the `i`th with `Idempotency-Key: {keys}-{i}` if `keys` is
    /// given: each booking's id, or what came back instead of a 202 (the server may die).
    pub fn place_keyed(
        &self,
        server: &Arc<Server>,
        n: usize,
        keys: Option<&str>,
    ) -> Vec<Result<String, String>> {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let server = Arc::clone(server);
                let token = self.customers[i % self.customers.len()].clone();
                let body = self.booking_body(i);
                let key = keys.map(|k| format!("{k}-{i}"));
                std::thread::spawn(move || {
                    let headers: Vec<(&str, &str)> = key
                        .as_deref()
                        .map(|k| ("Idempotency-Key", k))
                        .into_iter()
                        .collect();
                    match server.request(
                        "POST",
                        "/api/v1/bookings",
                        Some(&token),
                        &headers,
                        Some(&body),
                    ) {
                        Ok((202, body)) => body["booking_id"]
                            .as_str()
                            .map(str::to_owned)
                            .ok_or_else(|| body.to_string()),
                        Ok((status, body)) => Err(format!("{status} {body}")),
                        Err(e) => Err(e.to_string()),
                    }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    }

    /// Waits until no booking is pending any more; their views.
    pub fn await_terminal(
        &self,
        server: &Server,
        bookings: &[String],
        limit: Duration,
    ) -> HashMap<String, Value> {
        wait_until("every saga to end", limit, || {
            let mut views = HashMap::new();
            for id in bookings {
                let (_, view) = server.call(
                    "GET",
                    &format!("/api/v1/bookings/{id}"),
                    Some(&self.staff),
                    None,
                );
                if view["status"] == "pending" || view["status"].is_null() {
                    return None;
                }
                views.insert(id.clone(), view);
            }
            Some(views)
        })
    }

    /// The books balance: seats sold are the confirmed passengers and nothing is held; every
    /// booking is terminal; each confirmed booking's payment is captured once and others are
    /// not charged; miles are earned once per confirmed booking and each balance is its
    /// movements; no effect was applied twice. `what` names the situation in failures.
    pub fn check_books(&self, server: &Server, views: &HashMap<String, Value>, what: &str) {
        let url = &self.url;
        for flight in &self.flights {
            let confirmed = views
                .values()
                .filter(|v| v["flight_id"] == flight.as_str() && v["status"] == "confirmed")
                .count() as u64;
            // The flight's read model is another projector than the bookings': give it until
            // it has caught up (a real leak stays wrong and fails below).
            let looked = || {
                let (_, f) = server.call("GET", &format!("/api/v1/flights/{flight}"), None, None);
                let c = &f["cabins"]["economy"];
                ((c["sold"].as_u64(), c["held"].as_u64()), f)
            };
            let want = (Some(confirmed), Some(0));
            let give_up = Instant::now() + Duration::from_secs(20);
            let (seats, f) = loop {
                let (seats, f) = looked();
                if seats == want || Instant::now() >= give_up {
                    break (seats, f);
                }
                std::thread::sleep(Duration::from_millis(50));
            };
            assert_eq!(
                seats, want,
                "{flight} {what}: (sold, held) against confirmed: {f}"
            );
        }
        for (id, view) in views {
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
                    Some(&self.staff),
                    None,
                );
                let net = if code == 200 {
                    p["captured"]["amount"].as_i64().unwrap()
                        - p["refunded"]["amount"].as_i64().unwrap()
                } else {
                    0
                };
                let expected = if status == "confirmed" { price } else { 0 };
                assert_eq!(net, expected, "{id} ({status}) {what}: payment {p}");
            }
            let miles = count(
                url,
                &format!(
                    "SELECT coalesce(sum(CASE event_type WHEN 'MilesAwarded' THEN (payload->>'miles')::bigint \
                     ELSE -(payload->>'miles')::bigint END), 0)::bigint FROM events \
                     WHERE event_type IN ('MilesAwarded', 'MilesRevoked') AND payload->>'booking_id' = '{id}'"
                ),
            );
            let expected = if status == "confirmed" {
                MILES_PER_BOOKING as i64
            } else {
                0
            };
            assert_eq!(miles, expected, "{id} ({status}) miles {what}");
        }
        let doubled = count(
            url,
            "SELECT count(*) FROM (SELECT stream_id, event_type, payload->>'booking_id' AS b, count(*) FROM events \
             WHERE event_type IN ('SeatsReserved', 'SeatsCommitted', 'PaymentCaptured', 'MilesAwarded', 'BookingConfirmed') \
             GROUP BY 1, 2, 3 HAVING count(*) > 1) d",
        );
        assert_eq!(doubled, 0, "an effect was applied twice {what}");
        let accounts = crate::block_on(async {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
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
        assert_eq!(accounts.len(), self.customers.len());
        let confirmed_total = views
            .values()
            .filter(|v| v["status"] == "confirmed")
            .count() as u64
            * MILES_PER_BOOKING;
        let mut balances = 0;
        for a in &accounts {
            let t = a.totals();
            assert_eq!(
                a.balance(),
                t.earned - t.revoked - t.redeemed + t.restored - t.expired,
                "{what}"
            );
            balances += a.balance();
        }
        assert_eq!(
            balances, confirmed_total,
            "miles held = miles earned by confirmed bookings, {what}"
        );
    }
}
