//! Running scenario files (`skyfly_fixtures::scenario`) against the whole engine: the HTTP API
//! in-process, the process manager driven step by step on a virtual clock, and the projectors
//! caught up before anything is read. The events and the process manager's state live in the
//! store chosen (in-memory or PostgreSQL); accounts and read models live in a scratch PostgreSQL
//! database made for the run and dropped after it.
//!
//! A run never stops at the first mismatch: every expectation is checked and each one that fails
//! is a finding with a readable diff of expected against actual.

use crate::bootstrap::{self, Options, Stores};
use crate::state::AppState;
use anyhow::{Context, anyhow, bail};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, TimeZone, Utc};
use http_body_util::BodyExt;
use serde_json::{Map, Value};
use skyfly_domain::clock::Clock;
use skyfly_domain::event::{Actor, Metadata, NewEvent};
use skyfly_domain::ids::{BookingId, CommandId, EventId, SKYFLY_NAMESPACE};
use skyfly_domain::saga::BookingSaga;
use skyfly_domain::store::ExpectedVersion;
use skyfly_fixtures::scenario::{Expect, Scenario, Step, parse_duration};
use skyfly_infra::clock::ManualClock;
use std::collections::HashMap;
use std::sync::Arc;
use tower::ServiceExt;
use uuid::Uuid;

/// Which event store a scenario runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Memory,
    Postgres,
}

impl std::fmt::Display for StoreKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StoreKind::Memory => "memory",
            StoreKind::Postgres => "postgres",
        })
    }
}

/// What a run found: nothing, or every expectation that did not hold.
#[derive(Debug)]
pub struct Report {
    pub name: String,
    pub store: StoreKind,
    pub findings: Vec<String>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.findings.is_empty()
    }
}

/// The virtual clock's default start.
pub fn default_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0)
        .single()
        .unwrap_or_else(Utc::now)
}

/// Runs `scenario` on `store`, in a scratch database on the PostgreSQL server of `server_url`
/// (created, then dropped). An `Err` means the scenario could not be run at all (a malformed
/// step, a `given` that failed, an unreachable database), not that an expectation failed.
pub async fn run(
    scenario: &Scenario,
    store: StoreKind,
    server_url: &str,
) -> anyhow::Result<Report> {
    let name = format!("skyfly_scenario_{}", Uuid::new_v4().simple());
    run_in_database(scenario, store, server_url, &name).await
}

/// [`run`] in the scratch database `name` (created, then dropped), for callers that name their
/// scratch databases themselves (the test harness, which sweeps what an interrupted run left).
pub async fn run_in_database(
    scenario: &Scenario,
    store: StoreKind,
    server_url: &str,
    name: &str,
) -> anyhow::Result<Report> {
    let database_url = with_database(server_url, name);
    let result = run_in(scenario, store, &database_url).await;
    let dropped = drop_database(server_url, name).await;
    let report = result?;
    dropped?;
    Ok(report)
}

pub(crate) fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let rest = base.split_once("://").map_or(base, |(_, r)| r);
    let base = match rest.find('/') {
        Some(i) => &base[..base.len() - rest.len() + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{database}?{q}"),
        None => format!("{base}/{database}"),
    }
}

pub(crate) async fn drop_database(server_url: &str, name: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&with_database(server_url, "postgres")).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await?;
    Ok(())
}

const STAFF_EMAIL: &str = "staff@scenario.example";
const STAFF_PASSWORD: &str = "scenario-staff-password";

struct Engine {
    state: AppState,
    router: axum::Router,
    clock: ManualClock,
    stores: Stores,
    database_url: String,
    /// Actor name → access token.
    tokens: HashMap<String, String>,
    /// Placeholder (`b1`, `payment:b1`, `account:ada`, `user:ada`) → value.
    names: HashMap<String, String>,
}

struct Answer {
    status: StatusCode,
    body: Value,
}

async fn run_in(
    scenario: &Scenario,
    kind: StoreKind,
    database_url: &str,
) -> anyhow::Result<Report> {
    let stores = match kind {
        StoreKind::Memory => Stores {
            events: Some(Arc::new(skyfly_infra::MemoryEventStore::new())),
            process: Some(Arc::new(
                skyfly_infra::process::MemoryProcessStore::default(),
            )),
        },
        StoreKind::Postgres => Stores::default(),
    };
    let clock = ManualClock::new(scenario.start.unwrap_or_else(default_start));
    let mut engine = Engine::start(database_url, clock, stores).await?;
    let result = engine.play(scenario).await;
    engine.state.process.stop();
    let findings = result?;
    engine.state.pool.close().await;
    Ok(Report {
        name: scenario.name.clone(),
        store: kind,
        findings,
    })
}

impl Engine {
    async fn start(database_url: &str, clock: ManualClock, stores: Stores) -> anyhow::Result<Self> {
        let state = build(database_url, &clock, &stores).await?;
        let router = crate::router(state.clone());
        let mut engine = Self {
            state,
            router,
            clock,
            stores,
            database_url: database_url.to_owned(),
            tokens: HashMap::new(),
            names: HashMap::new(),
        };
        bootstrap::create_staff(&engine.state, STAFF_EMAIL, STAFF_PASSWORD, "Scenario Staff")
            .await
            .map_err(|e| anyhow!("creating the staff account: {e:?}"))?;
        let token = engine.login(STAFF_EMAIL, STAFF_PASSWORD).await?;
        engine.tokens.insert("staff".into(), token);
        Ok(engine)
    }

    async fn restart(&mut self) -> anyhow::Result<()> {
        self.state.process.stop();
        self.state = build(&self.database_url, &self.clock, &self.stores).await?;
        self.router = crate::router(self.state.clone());
        Ok(())
    }

    /// Runs the whole scenario; returns the findings.
    async fn play(&mut self, scenario: &Scenario) -> anyhow::Result<Vec<String>> {
        self.given(scenario).await?;
        let mut findings = Vec::new();
        for (i, step) in scenario.when.iter().enumerate() {
            if let Some(finding) = self.step(step).await? {
                findings.push(format!("when[{i}] ({}): {finding}", describe(step)));
            }
        }
        self.settle().await?;
        findings.extend(self.then(scenario).await?);
        Ok(findings)
    }

    async fn given(&mut self, scenario: &Scenario) -> anyhow::Result<()> {
        let given = &scenario.given;
        for data in &given.data {
            self.data_set(data).await?;
        }
        for customer in &given.customers {
            self.register(customer).await?;
        }
        for f in &given.flights {
            let cabins: Map<String, Value> = f
                .cabins
                .iter()
                .map(|(cabin, c)| {
                    (
                        cabin.clone(),
                        serde_json::json!({ "capacity": c.seats, "fare": { "amount": c.fare, "currency": "USD" } }),
                    )
                })
                .collect();
            let body = serde_json::json!({
                "flight_number": f.number, "origin": f.from, "destination": f.to,
                "departure": f.departs, "arrival": f.arrives, "cabins": cabins,
            });
            let a = self
                .call("POST", "/api/v1/flights", "staff", Some(&body), None)
                .await?;
            if !a.status.is_success() {
                bail!("given flight {}: {} {}", f.number, a.status, a.body);
            }
        }
        for e in &given.events {
            let stream = self
                .expand(&e.stream)
                .map_err(|m| anyhow!("given event: {m}"))?;
            let payload = self
                .expand_value(&e.payload)
                .map_err(|m| anyhow!("given event: {m}"))?;
            let event = NewEvent {
                event_id: EventId(Uuid::now_v7()),
                event_type: e.event_type.clone(),
                schema_version: 1,
                payload,
                metadata: Metadata::new(CommandId(Uuid::now_v7()), Actor::system("scenario")),
                recorded_at: self.clock.now(),
            };
            self.state
                .bus
                .store()
                .append(&stream, ExpectedVersion::Any, None, vec![event])
                .await
                .with_context(|| format!("given event {} on {stream}", e.event_type))?;
        }
        for (i, step) in given.steps.iter().enumerate() {
            if let Some(finding) = self.step(step).await? {
                bail!("given.steps[{i}] ({}): {finding}", describe(step));
            }
        }
        self.settle().await
    }

    async fn data_set(&mut self, name: &str) -> anyhow::Result<()> {
        match name {
            "sf100" => {
                let body = serde_json::json!({
                    "flight_number": "SF100", "origin": "DFW", "destination": "ORD",
                    "departure": "2026-12-01T14:00:00Z", "arrival": "2026-12-01T16:30:00Z",
                    "cabins": {
                        "economy": { "capacity": 10, "fare": { "amount": 19900, "currency": "USD" } },
                        "business": { "capacity": 2, "fare": { "amount": 89900, "currency": "USD" } },
                    },
                });
                let a = self
                    .call("POST", "/api/v1/flights", "staff", Some(&body), None)
                    .await?;
                if !a.status.is_success() {
                    bail!("data set sf100: {} {}", a.status, a.body);
                }
            }
            "sample-schedule" => {
                let from =
                    chrono::NaiveDate::from_ymd_opt(2026, 12, 1).ok_or_else(|| anyhow!("date"))?;
                let report = crate::routes::flights::import_schedule(
                    &self.state,
                    include_bytes!("../../fixtures/data/sample_schedule.csv"),
                    from,
                    7,
                    Actor::system("scenario"),
                    &|_, _| {},
                )
                .await
                .map_err(|e| anyhow!("data set sample-schedule: {e:?}"))?;
                if report.scheduled == 0 {
                    bail!("data set sample-schedule scheduled nothing");
                }
            }
            "demo-customers" => {
                for account in skyfly_fixtures::demo_customers() {
                    let name = account
                        .email
                        .split('@')
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    self.register_as(&name, account.email, account.password)
                        .await?;
                }
            }
            other => bail!("unknown data set `{other}` (sf100, sample-schedule, demo-customers)"),
        }
        Ok(())
    }

    async fn register(&mut self, name: &str) -> anyhow::Result<()> {
        let email = format!("{name}@example.com");
        let password = format!("scenario-password-{name}");
        self.register_as(name, &email, &password).await
    }

    async fn register_as(&mut self, name: &str, email: &str, password: &str) -> anyhow::Result<()> {
        let body = serde_json::json!({ "email": email, "password": password, "name": name });
        let a = self
            .request("POST", "/api/v1/auth/register", None, Some(&body), None)
            .await?;
        if a.status != StatusCode::CREATED {
            bail!("registering {email}: {} {}", a.status, a.body);
        }
        let token = self.login(email, password).await?;
        let me = self
            .request("GET", "/api/v1/users/me", Some(&token), None, None)
            .await?;
        let field = |k: &str| {
            me.body[k]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| anyhow!("/users/me has no {k}"))
        };
        self.names.insert(format!("user:{name}"), field("user_id")?);
        self.names
            .insert(format!("account:{name}"), field("loyalty_account_id")?);
        self.tokens.insert(name.to_owned(), token);
        Ok(())
    }

    async fn login(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let body = serde_json::json!({ "email": email, "password": password });
        let a = self
            .request("POST", "/api/v1/auth/login", None, Some(&body), None)
            .await?;
        a.body["access_token"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("login of {email}: {} {}", a.status, a.body))
    }

    /// One step; `Some(finding)` if the API did not answer as expected.
    async fn step(&mut self, step: &Step) -> anyhow::Result<Option<String>> {
        let action = step.action().map_err(|e| anyhow!(e))?;
        let finding = match action {
            "book" => {
                let alias = step.book.clone().unwrap_or_default();
                let actor = step
                    .actor
                    .clone()
                    .ok_or_else(|| anyhow!("book {alias}: `as` a customer"))?;
                let flight = self
                    .expand(step.flight.as_deref().unwrap_or("SF100-2026-12-01"))
                    .map_err(|m| anyhow!(m))?;
                let people: Vec<Value> = (0..step.passengers.unwrap_or(1))
                    .map(|i| serde_json::json!({ "first_name": format!("Passenger{}", i + 1), "last_name": actor }))
                    .collect();
                let body = serde_json::json!({
                    "flight_id": flight,
                    "cabin": step.cabin.as_deref().unwrap_or("economy"),
                    "passengers": people,
                    "contact": { "email": format!("{actor}@example.com") },
                    "payment": { "card_number": card(step.card.as_deref().unwrap_or("ok")), "exp_month": 12, "exp_year": 2030, "cvc": "123" },
                    "redeem_miles": step.redeem_miles.unwrap_or(0),
                });
                let a = self
                    .call(
                        "POST",
                        "/api/v1/bookings",
                        &actor,
                        Some(&body),
                        step.idempotency_key.as_deref(),
                    )
                    .await?;
                let finding = expectation(step.expect.as_ref(), StatusCode::ACCEPTED, &a);
                if a.status == StatusCode::ACCEPTED
                    && let Some(id) = a.body["booking_id"].as_str()
                {
                    if let Some(known) = self.names.get(&alias)
                        && known != id
                    {
                        return Ok(Some(format!(
                            "`{alias}` was booking {known}, the API answered {id}"
                        )));
                    }
                    self.bind_booking(&alias, id)?;
                }
                finding
            }
            "cancel" => {
                let alias = step.cancel.clone().unwrap_or_default();
                let actor = step
                    .actor
                    .clone()
                    .ok_or_else(|| anyhow!("cancel {alias}: `as` someone"))?;
                let id = self
                    .expand(&format!("{{{alias}}}"))
                    .map_err(|m| anyhow!(m))?;
                let a = self
                    .call(
                        "POST",
                        &format!("/api/v1/bookings/{id}/cancel"),
                        &actor,
                        None,
                        step.idempotency_key.as_deref(),
                    )
                    .await?;
                expectation(step.expect.as_ref(), StatusCode::ACCEPTED, &a)
            }
            "request" => {
                let r = step.request.as_ref().ok_or_else(|| anyhow!("request"))?;
                let path = self.expand(&r.path).map_err(|m| anyhow!(m))?;
                let body = r
                    .body
                    .as_ref()
                    .map(|b| self.expand_value(b))
                    .transpose()
                    .map_err(|m| anyhow!(m))?;
                let actor = step.actor.as_deref().unwrap_or("staff");
                let a = self
                    .call(
                        &r.method.to_uppercase(),
                        &path,
                        actor,
                        body.as_ref(),
                        step.idempotency_key.as_deref(),
                    )
                    .await?;
                expectation(step.expect.as_ref(), StatusCode::OK, &a)
            }
            "fault" => {
                let body = step
                    .fault
                    .as_ref()
                    .map(|b| self.expand_value(b))
                    .transpose()
                    .map_err(|m| anyhow!(m))?;
                let a = self
                    .call("POST", "/api/v1/admin/faults", "staff", body.as_ref(), None)
                    .await?;
                expectation(step.expect.as_ref(), StatusCode::CREATED, &a)
            }
            "advance" => {
                let by = parse_duration(step.advance.as_deref().unwrap_or_default())
                    .map_err(|m| anyhow!(m))?;
                self.advance(by).await?;
                None
            }
            "restart" => {
                self.restart().await?;
                None
            }
            _ => None, // settle: below, as after every step
        };
        self.settle().await?;
        Ok(finding)
    }

    fn bind_booking(&mut self, alias: &str, id: &str) -> anyhow::Result<()> {
        let uuid = Uuid::parse_str(id)?;
        let payment = Uuid::new_v5(&SKYFLY_NAMESPACE, format!("payment/{uuid}").as_bytes());
        self.names.insert(alias.to_owned(), id.to_owned());
        self.names
            .insert(format!("payment:{alias}"), payment.to_string());
        Ok(())
    }

    /// Runs the process manager until nothing is due at the current time, then catches the read
    /// models up: what a running engine would have done by now.
    async fn settle(&self) -> anyhow::Result<()> {
        let pm = &self.state.process;
        for _ in 0..10_000 {
            self.until_final().await?;
            let (followed, _) = pm.follow_once().await?;
            let ran = pm.run_due().await?;
            if followed == 0 && ran == 0 {
                self.until_final().await?;
                for projector in &self.state.projectors {
                    projector.catch_up().await?;
                }
                return Ok(());
            }
        }
        bail!("the engine did not settle (10,000 rounds of work at one instant)")
    }

    /// Waits until everything committed so far is readable. (With PostgreSQL, a transaction
    /// still open anywhere on the server holds back what readers see, by design: ADR 0002.)
    async fn until_final(&self) -> anyhow::Result<()> {
        let store = self.state.bus.store();
        let committed = store.committed_head().await?;
        let give_up = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut pause = std::time::Duration::from_millis(1);
        while store.head_position().await? < committed {
            if tokio::time::Instant::now() >= give_up {
                bail!("events up to {committed} did not become readable within 30 s");
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(std::time::Duration::from_millis(20));
        }
        Ok(())
    }

    /// Moves the clock to `now + by`, stopping at every wake-up on the way.
    async fn advance(&self, by: chrono::Duration) -> anyhow::Result<()> {
        let target = self.clock.now() + by;
        loop {
            self.settle().await?;
            let next = self.state.process.next_wake_up().await?;
            match next {
                Some(at) if at > self.clock.now() && at < target => self.clock.set(at),
                _ => break,
            }
        }
        self.clock.set(target);
        self.settle().await
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        actor: &str,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> anyhow::Result<Answer> {
        let token = self
            .tokens
            .get(actor)
            .ok_or_else(|| anyhow!("`{actor}` is not a customer of `given` (nor `staff`)"))?
            .clone();
        self.request(method, path, Some(&token), body, idempotency_key)
            .await
    }

    async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> anyhow::Result<Answer> {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        if let Some(k) = idempotency_key {
            req = req.header("idempotency-key", k);
        }
        let body = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                Body::from(serde_json::to_vec(b)?)
            }
            None => Body::empty(),
        };
        let response = self.router.clone().oneshot(req.body(body)?).await?;
        let status = response.status();
        let bytes = response.into_body().collect().await?.to_bytes();
        Ok(Answer {
            status,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        })
    }

    /// Replaces `{name}` placeholders.
    fn expand(&self, text: &str) -> Result<String, String> {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = rest[open..]
                .find('}')
                .ok_or_else(|| format!("`{text}`: an unclosed `{{`"))?;
            let key = &rest[open + 1..open + close];
            let value = self.names.get(key).ok_or_else(|| {
                format!("`{text}`: `{{{key}}}` names nothing (bookings by their name, payment:<booking>, account:<customer>, user:<customer>)")
            })?;
            out.push_str(value);
            rest = &rest[open + close + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn expand_value(&self, value: &Value) -> Result<Value, String> {
        Ok(match value {
            Value::String(s) => Value::String(self.expand(s)?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.expand_value(v))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), self.expand_value(v)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }

    async fn then(&self, scenario: &Scenario) -> anyhow::Result<Vec<String>> {
        let mut findings = Vec::new();
        let then = &scenario.then;
        for expected in &then.events {
            let stream = match self.expand(&expected.stream) {
                Ok(s) => s,
                Err(m) => {
                    findings.push(m);
                    continue;
                }
            };
            let actual = self.state.bus.store().read_stream(&stream, 0).await?;
            let (want, got): (Vec<String>, Vec<String>) = match (&expected.types, &expected.events)
            {
                (Some(types), _) => (
                    types.clone(),
                    actual.iter().map(|e| e.event_type.clone()).collect(),
                ),
                (None, Some(events)) => {
                    let mut want = Vec::new();
                    for e in events {
                        match self.expand_value(&Value::Object(e.clone().into_iter().collect())) {
                            Ok(v) => want.push(v),
                            Err(m) => findings.push(m),
                        }
                    }
                    let got = actual
                        .iter()
                        .enumerate()
                        .map(|(i, e)| {
                            let mut shown = Map::new();
                            shown.insert("type".into(), Value::String(e.event_type.clone()));
                            if let Some(Value::Object(keys)) = want.get(i) {
                                for k in keys.keys().filter(|k| *k != "type") {
                                    shown.insert(
                                        k.clone(),
                                        e.payload.get(k).cloned().unwrap_or(Value::Null),
                                    );
                                }
                            }
                            event_line(&Value::Object(shown))
                        })
                        .collect();
                    (want.iter().map(event_line).collect(), got)
                }
                (None, None) => continue,
            };
            if want != got {
                findings.push(format!("events of {stream}:\n{}", diff(&want, &got)));
            }
        }
        for expected in &then.sagas {
            let id = match self
                .expand(&format!("{{{}}}", expected.booking))
                .map(|s| Uuid::parse_str(&s))
            {
                Ok(Ok(id)) => BookingId(id),
                Ok(Err(e)) => bail!("saga {}: {e}", expected.booking),
                Err(m) => {
                    findings.push(m);
                    continue;
                }
            };
            let (saga, _) = self.state.bus.load::<BookingSaga>(id).await?;
            let status = saga
                .status()
                .map_or("not started", |s| s.as_str())
                .to_owned();
            let parked = saga.parked().len();
            let mut want = vec![format!("status: {}", expected.status)];
            let mut got = vec![format!("status: {status}")];
            if let Some(p) = expected.parked {
                want.push(format!("parked: {p}"));
                got.push(format!("parked: {parked}"));
            }
            if want != got {
                findings.push(format!(
                    "saga of {}:\n{}",
                    expected.booking,
                    diff(&want, &got)
                ));
            }
        }
        for q in &then.queries {
            let path = match self.expand(&q.get) {
                Ok(p) => p,
                Err(m) => {
                    findings.push(m);
                    continue;
                }
            };
            let a = self
                .call(
                    "GET",
                    &path,
                    q.actor.as_deref().unwrap_or("staff"),
                    None,
                    None,
                )
                .await?;
            let mut expect = q.expect.clone();
            if let Some(body) = &expect.body {
                expect.body = Some(self.expand_value(body).map_err(|m| anyhow!(m))?);
            }
            if let Some(f) = expectation(Some(&expect), StatusCode::OK, &a) {
                findings.push(format!("GET {path}: {f}"));
            }
        }
        for r in &then.rows {
            findings.extend(self.check_row(r).await?);
        }
        Ok(findings)
    }

    async fn check_row(
        &self,
        r: &skyfly_fixtures::scenario::ExpectedRow,
    ) -> anyhow::Result<Option<String>> {
        // Names were checked to be plain identifiers when the file was parsed.
        let mut sql = format!("SELECT to_jsonb(t) FROM {} t", r.table);
        let mut binds = Vec::new();
        for (i, (column, value)) in r.filter.iter().enumerate() {
            sql.push_str(if i == 0 { " WHERE " } else { " AND " });
            sql.push_str(&format!("trim(t.{column}::text) = ${}", i + 1));
            let value = self.expand_value(value).map_err(|m| anyhow!(m))?;
            binds.push(match value {
                Value::String(s) => s,
                other => other.to_string(),
            });
        }
        let mut query = sqlx::query_scalar::<_, Value>(&sql);
        for b in binds {
            query = query.bind(b);
        }
        let rows = match query.fetch_all(&self.state.pool).await {
            Ok(rows) => rows,
            Err(e) => return Ok(Some(format!("rows of {}: {e}", r.table))),
        };
        let filter = serde_json::to_string(&r.filter)?;
        let [row] = rows.as_slice() else {
            return Ok(Some(format!(
                "{} where {filter}: {} rows, expected one",
                r.table,
                rows.len()
            )));
        };
        let want: Map<String, Value> = r.values.clone().into_iter().collect();
        let got: Map<String, Value> = want
            .keys()
            .map(|k| (k.clone(), row.get(k).cloned().unwrap_or(Value::Null)))
            .collect();
        let (want, got) = (Value::Object(want), Value::Object(got));
        Ok((!subset(&want, &got)).then(|| {
            format!(
                "{} where {filter}:\n{}",
                r.table,
                diff(&pretty_lines(&want), &pretty_lines(&got))
            )
        }))
    }
}

async fn build(
    database_url: &str,
    clock: &ManualClock,
    stores: &Stores,
) -> anyhow::Result<AppState> {
    bootstrap::build_with(
        Options {
            jwt_secret: Some("scenario-secret".into()),
            max_connections: 4,
            ..Options::new(database_url, Arc::new(clock.clone()))
        },
        stores.clone(),
    )
    .await
}

fn describe(step: &Step) -> String {
    let action = step.action().unwrap_or("?");
    let what = match action {
        "book" => step.book.clone(),
        "cancel" => step.cancel.clone(),
        "request" => step
            .request
            .as_ref()
            .map(|r| format!("{} {}", r.method, r.path)),
        "advance" => step.advance.clone(),
        _ => None,
    };
    what.map_or_else(|| action.to_owned(), |w| format!("{action} {w}"))
}

/// A test card by name, or the number as given.
fn card(name: &str) -> String {
    match name {
        "ok" => "4242424242424242",
        "ok-mastercard" => "5555555555554444",
        "declined" => "4000000000000002",
        "insufficient-funds" => "4000000000009995",
        "expired" => "4000000000000069",
        "provider-error" => "4000000000000119",
        number => number,
    }
    .to_owned()
}

/// Whether the answer is what `expect` says (or, without one, has `default` status... any 2xx).
fn expectation(expect: Option<&Expect>, default: StatusCode, a: &Answer) -> Option<String> {
    let Some(e) = expect else {
        return (!a.status.is_success()).then(|| {
            format!(
                "expected {default}, the API answered {} {}",
                a.status.as_u16(),
                a.body
            )
        });
    };
    let mut want = Vec::new();
    let mut got = Vec::new();
    if let Some(status) = e.status {
        want.push(format!("status: {status}"));
        got.push(format!("status: {}", a.status.as_u16()));
    } else if !a.status.is_success() {
        want.push("status: 2xx".into());
        got.push(format!("status: {}", a.status.as_u16()));
    }
    if let Some(code) = &e.code {
        want.push(format!("code: {code}"));
        got.push(format!(
            "code: {}",
            a.body["code"].as_str().unwrap_or("(none)")
        ));
    }
    if let Some(field) = &e.field {
        let fields: Vec<&str> = a.body["errors"]
            .as_array()
            .map(|errs| errs.iter().filter_map(|e| e["field"].as_str()).collect())
            .unwrap_or_default();
        let shown = a.body["field"]
            .as_str()
            .map_or_else(|| fields.join(", "), str::to_owned);
        want.push(format!("field: {field}"));
        got.push(format!(
            "field: {}",
            if fields.contains(&field.as_str()) {
                field.as_str()
            } else {
                shown.as_str()
            }
        ));
    }
    if let Some(body) = &e.body
        && !subset(body, &a.body)
    {
        want.extend(pretty_lines(body));
        got.extend(pretty_lines(&project(body, &a.body)));
    }
    (want != got).then(|| format!("\n{}", diff(&want, &got)))
}

/// Whether `want` is in `got`: objects by the keys of `want`, arrays element by element (same
/// length), numbers by value.
fn subset(want: &Value, got: &Value) -> bool {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => w
            .iter()
            .all(|(k, v)| g.get(k).is_some_and(|gv| subset(v, gv))),
        (Value::Array(w), Value::Array(g)) => {
            w.len() == g.len() && w.iter().zip(g).all(|(a, b)| subset(a, b))
        }
        (Value::Number(w), Value::Number(g)) => w.as_f64() == g.as_f64(),
        (w, g) => w == g,
    }
}

/// `got` cut down to the shape of `want`, so that a diff shows only what was asked.
fn project(want: &Value, got: &Value) -> Value {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => Value::Object(
            w.iter()
                .map(|(k, v)| (k.clone(), g.get(k).map_or(Value::Null, |gv| project(v, gv))))
                .collect(),
        ),
        (Value::Array(w), Value::Array(g)) if w.len() == g.len() => {
            Value::Array(w.iter().zip(g).map(|(a, b)| project(a, b)).collect())
        }
        (_, g) => g.clone(),
    }
}

fn event_line(v: &Value) -> String {
    let ty = v["type"].as_str().unwrap_or("?");
    let rest: Map<String, Value> = v
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| *k != "type")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    if rest.is_empty() {
        ty.to_owned()
    } else {
        format!("{ty} {}", Value::Object(rest))
    }
}

fn pretty_lines(v: &Value) -> Vec<String> {
    serde_json::to_string_pretty(v)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// A unified diff of two lists of lines.
pub fn diff(expected: &[String], actual: &[String]) -> String {
    let e = expected
        .iter()
        .map(|l| format!("{l}\n"))
        .collect::<String>();
    let a = actual.iter().map(|l| format!("{l}\n")).collect::<String>();
    similar::TextDiff::from_lines(&e, &a)
        .unified_diff()
        .context_radius(20)
        .header("expected", "actual")
        .to_string()
}

/// Reads every scenario file of `paths` (files, or directories of `*.toml`), in name order.
pub fn load(paths: &[std::path::PathBuf]) -> anyhow::Result<Vec<(String, Scenario)>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<_> = std::fs::read_dir(path)
                .with_context(|| format!("reading {}", path.display()))?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    files
        .into_iter()
        .map(|f| {
            let source = f.display().to_string();
            let text = std::fs::read_to_string(&f).with_context(|| format!("reading {source}"))?;
            let scenario = skyfly_fixtures::scenario::parse_scenario(&text, &source)
                .map_err(|e| anyhow!(e))?;
            Ok((source, scenario))
        })
        .collect()
}

/// Runs the scenario files of `paths` on each of `stores`, `jobs` at a time, printing one line per
/// run (and the findings of those that fail) and a summary `N passed, N failed`. Returns whether
/// every run passed.
pub async fn run_and_print(
    paths: &[std::path::PathBuf],
    stores: &[StoreKind],
    server_url: &str,
    jobs: usize,
) -> anyhow::Result<bool> {
    use futures::StreamExt;
    let scenarios = load(paths)?;
    if scenarios.is_empty() {
        bail!("no scenario files found");
    }
    let runs: Vec<(&str, &Scenario, StoreKind)> = scenarios
        .iter()
        .flat_map(|(file, s)| stores.iter().map(move |k| (file.as_str(), s, *k)))
        .collect();
    let results: Vec<_> =
        futures::stream::iter(runs)
            .map(|(file, scenario, kind)| async move {
                (file, kind, run(scenario, kind, server_url).await)
            })
            .buffered(jobs.max(1))
            .collect()
            .await;
    let (mut passed, mut failed) = (0, 0);
    for (file, kind, result) in results {
        match result {
            Ok(report) if report.passed() => {
                passed += 1;
                println!("ok    [{kind}] {file}: {}", report.name);
            }
            Ok(report) => {
                failed += 1;
                println!("FAIL  [{kind}] {file}: {}", report.name);
                for f in &report.findings {
                    println!("  {}", f.replace('\n', "\n    "));
                }
            }
            Err(e) => {
                failed += 1;
                println!("ERROR [{kind}] {file}: {e:#}");
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(failed == 0)
}
