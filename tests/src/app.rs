//! An in-process SkyFly (router over a fresh PostgreSQL database, manual clock) for HTTP tests,
//! and the engine's parts those tests reach past HTTP: every use of the engine builder and the use
//! cases by a test goes through here.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::Value;
use skyfly_api::AppState;
use skyfly_domain::event::Actor;
use skyfly_engine::{Engine, ProcessRole, Settings};
use skyfly_infra::clock::ManualClock;
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

/// The engine built from `settings`, every role's work started, as the HTTP adapter's state.
pub async fn started(settings: Settings) -> AppState {
    let engine = Engine::build(settings).await.expect("build the engine");
    engine.start(ProcessRole::All);
    AppState::new(&engine, None)
}

pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    pub clock: ManualClock,
    pub database_url: String,
    pub pool: sqlx::PgPool,
    /// Last: the database is dropped when the last engine on it is.
    _db: Arc<crate::db::DatabaseGuard>,
}

/// The instant every test starts at: 2026-11-22 12:00 UTC.
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0)
        .single()
        .expect("valid start time")
}

/// What every test engine is built with.
pub fn settings(database_url: &str, clock: &ManualClock) -> Settings {
    Settings {
        jwt_secret: Some("test-secret".into()),
        // Many tests run at once against one server (100 connections): keep each small.
        max_connections: 10,
        ..Settings::new(database_url, Arc::new(clock.clone()))
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The log position in header `name` (`x-event-position`, `x-read-model-position`); it must
    /// be there.
    pub fn position(&self, name: &str) -> u64 {
        self.header(name).unwrap().parse().unwrap()
    }
}

/// Every read model the engine keeps.
pub fn read_models() -> Vec<Arc<dyn skyfly_projections::Projection>> {
    skyfly_engine::read_models()
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_nats(None).await
    }

    /// An engine whose relay and live stream use the NATS at `nats_url`.
    pub async fn with_nats(nats_url: Option<String>) -> Self {
        let db = crate::db::fresh_database().await;
        let clock = ManualClock::new(start_time());
        let state = started(Settings {
            nats_url,
            ..settings(&db.url, &clock)
        })
        .await;
        Self::over(db, clock, state)
    }

    /// An engine with the demo loaded for `days` days from the start time, as
    /// `skyfly serve --demo` loads it.
    pub async fn with_demo(days: u32) -> Self {
        let db = crate::db::fresh_database().await;
        let clock = ManualClock::new(start_time());
        let engine = Engine::build(settings(&db.url, &clock))
            .await
            .expect("build the engine");
        engine.start(ProcessRole::All);
        skyfly_engine::demo::load(&engine, days)
            .await
            .expect("load the demo");
        Self::over(db, clock, AppState::new(&engine, None))
    }

    fn over(db: crate::db::TestDatabase, clock: ManualClock, state: AppState) -> Self {
        let router = skyfly_api::router(state.clone());
        Self {
            state,
            router,
            clock,
            database_url: db.url.clone(),
            pool: db.pool.clone(),
            _db: db.guard(),
        }
    }

    /// The engine stops (its process manager stops) and a new one starts on the same database
    /// and the same clock: what was durable survives, nothing else.
    pub async fn restarted(&self) -> Self {
        self.state.process.stop();
        let state = started(settings(&self.database_url, &self.clock)).await;
        let router = skyfly_api::router(state.clone());
        Self {
            state,
            router,
            clock: self.clock.clone(),
            database_url: self.database_url.clone(),
            pool: self.pool.clone(),
            _db: Arc::clone(&self._db),
        }
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<&str>,
    ) -> Reply {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(body.map_or_else(Body::empty, |b| Body::from(b.to_owned())))
            .expect("request");
        let response = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("infallible router");
        let status = response.status();
        let headers = response.headers().clone();
        let raw = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes()
            .to_vec();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            body,
            raw,
        }
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &str) -> Reply {
        self.request("POST", path, token, &[], Some(body)).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.request("GET", path, token, &[], None).await
    }

    /// Registers (customers) and logs in; returns the access token.
    pub async fn customer(&self, email: &str) -> String {
        let r = self
            .post(
                "/api/v1/auth/register",
                None,
                &format!(r#"{{"email":"{email}","password":"password-123","name":"Test User"}}"#),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        self.login(email, "password-123").await
    }

    pub async fn staff(&self) -> String {
        skyfly_engine::demo::create_staff(
            &self.state.app,
            "staff@test.example",
            "staff-password-1",
            "Staff",
        )
        .await
        .expect("staff");
        self.login("staff@test.example", "staff-password-1").await
    }

    pub async fn login(&self, email: &str, password: &str) -> String {
        let r = self
            .post(
                "/api/v1/auth/login",
                None,
                &format!(r#"{{"email":"{email}","password":"{password}"}}"#),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        r.body["access_token"]
            .as_str()
            .expect("access token")
            .to_owned()
    }

    /// Schedules `SF100-2026-12-01` DFW→ORD with 10 economy and 2 business seats.
    pub async fn schedule_flight(&self, staff: &str) -> String {
        let r = self
            .post(
                "/api/v1/flights",
                Some(staff),
                r#"{"flight_number":"SF100","origin":"DFW","destination":"ORD",
                    "departure":"2026-12-01T14:00:00Z","arrival":"2026-12-01T16:30:00Z",
                    "cabins":{"economy":{"capacity":10,"fare":{"amount":19900,"currency":"USD"}},
                              "business":{"capacity":2,"fare":{"amount":89900,"currency":"USD"}}}}"#,
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
        r.body["flight_id"].as_str().expect("flight id").to_owned()
    }

    /// Places a booking (`passengers` people in `cabin`, paid with `card`); it is accepted and
    /// pending. Its id.
    pub async fn book(
        &self,
        token: &str,
        flight: &str,
        cabin: &str,
        passengers: usize,
        card: &str,
    ) -> String {
        let r = self
            .post(
                "/api/v1/bookings",
                Some(token),
                &booking_body(flight, cabin, passengers, card, 0),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
        assert_eq!(r.body["status"], "pending");
        r.body["booking_id"]
            .as_str()
            .expect("booking id")
            .to_owned()
    }

    /// Waits (30 s at most) until the booking `id` is no longer pending; its view. While its
    /// saga waits out a retry's backoff the engine's clock is moved on 2 s at a time — never while
    /// a step is in flight, which the jump would time out.
    pub async fn settle(&self, token: &str, id: &str) -> serde_json::Value {
        crate::eventually(Duration::from_secs(30), "the booking to settle", || async {
            let r = self
                .get(&format!("/api/v1/bookings/{id}"), Some(token))
                .await;
            // A 404 is a read model still behind the log (the booking was placed): look again.
            if r.status == StatusCode::OK && r.body["status"] != "pending" {
                return Some(r.body);
            }
            let waiting = r.body["saga"]
                .as_array()
                .and_then(|t| t.last())
                .is_some_and(|e| {
                    ["step_failed", "retry_scheduled", "compensation_failed"]
                        .contains(&e["outcome"].as_str().unwrap_or_default())
                });
            if waiting {
                self.clock.advance(chrono::Duration::seconds(2));
            }
            self.state.process.nudge();
            None
        })
        .await
    }

    /// A customer's loyalty account id.
    pub async fn loyalty_account(&self, token: &str) -> String {
        self.get("/api/v1/users/me", Some(token)).await.body["loyalty_account_id"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Seats of `cabin` on `flight`: (available, held, sold).
    pub async fn availability(&self, flight: &str, cabin: &str) -> (u64, u64, u64) {
        let f = self.get(&format!("/api/v1/flights/{flight}"), None).await;
        let c = &f.body["cabins"][cabin];
        (
            c["available"].as_u64().unwrap(),
            c["held"].as_u64().unwrap(),
            c["sold"].as_u64().unwrap(),
        )
    }

    /// Every row of table `name`, as text, in a stable order: identical tables give identical
    /// vectors.
    pub async fn table(&self, name: &str) -> Vec<String> {
        sqlx::query_scalar(&format!("SELECT t::text FROM {name} t ORDER BY t::text"))
            .fetch_all(&self.pool)
            .await
            .unwrap()
    }

    /// Imports a schedule file (`csv`) for `days` days from `from`, as the engine's import does.
    pub async fn import_schedule(
        &self,
        csv: &[u8],
        from: chrono::NaiveDate,
        days: u32,
        actor: Actor,
    ) -> Result<skyfly_commands::flights::ImportReport, skyfly_commands::UseCaseError> {
        use skyfly_commands::flights::{ImportSchedule, import_schedule};
        let app = &self.state.app;
        let command = ImportSchedule::parse(csv.to_vec(), Some(from), Some(days))?;
        import_schedule(app, actor, &command, &|_, _| {}).await
    }

    pub async fn event_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM events")
            .fetch_one(&self.pool)
            .await
            .expect("count events")
    }
}

/// A `POST /bookings` body: `passengers` people on `flight` in `cabin`, paid with `card`, with
/// `redeem` miles.
pub fn booking_body(
    flight: &str,
    cabin: &str,
    passengers: usize,
    card: &str,
    redeem: u64,
) -> String {
    let people: Vec<String> = (0..passengers)
        .map(|i| format!(r#"{{"first_name":"P{i}","last_name":"Test"}}"#))
        .collect();
    format!(
        r#"{{"flight_id":"{flight}","cabin":"{cabin}","passengers":[{}],"contact":{{"email":"p@example.com"}},
            "payment":{{"card_number":"{card}","exp_month":12,"exp_year":2030,"cvc":"123"}},"redeem_miles":{redeem}}}"#,
        people.join(",")
    )
}
