//! `saga`: bookings through HTTP until confirmed, and the projection lag meanwhile.

use crate::append::iata;
use crate::http;
use crate::measure::{Outcome, Report, closed_loop, p99};
use anyhow::bail;
use chrono::Utc;
use serde_json::json;
use skyfly_api::AppState;
use skyfly_commands::Call;
use skyfly_commands::identity::{RegisterAccount, register};
use skyfly_domain::Money;
use skyfly_domain::cabin::Cabin;
use skyfly_domain::event::Actor;
use skyfly_domain::ids::{CommandId, FlightId, FlightNumber};
use skyfly_engine::{Engine, ProcessRole, Settings};
use std::sync::Arc;
use std::time::{Duration, Instant};
use uuid::Uuid;

/// The whole engine on the scratch database (no NATS), with its workers running.
pub(crate) async fn engine(url: &str) -> anyhow::Result<AppState> {
    let engine = Engine::build(Settings {
        jwt_secret: Some("bench-secret".into()),
        max_connections: 48,
        ..Settings::new(url, Arc::new(skyfly_infra::clock::SystemClock))
    })
    .await?;
    engine.start(ProcessRole::All);
    Ok(AppState::new(&engine, None))
}

pub(crate) async fn saga_suite(
    state: &AppState,
    load: Duration,
    clients: &[usize],
    out: &mut Report,
) -> anyhow::Result<()> {
    use skyfly_domain::identity::Role;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let router = skyfly_api::router(state.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    // Enough flights and seats that none runs out: 40 flights of 50,000 economy seats.
    let departure = Utc::now() + chrono::Duration::days(30);
    let mut flights = Vec::new();
    for n in 0..40 {
        let flight_id = FlightId::parse(&format!("SB{}-{}", 100 + n, departure.date_naive()))
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let plan = skyfly_fixtures::schedule_csv::FlightPlan {
            flight_id: flight_id.clone(),
            flight_number: FlightNumber::parse(&format!("SB{}", 100 + n))
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            origin: iata("DFW")?,
            destination: iata("ORD")?,
            departure,
            arrival: departure + chrono::Duration::hours(2),
            cabins: [(Cabin::Economy, (50_000, Money::usd(12_345)))].into(),
            source_line: 0,
        };
        let call = Call::new(CommandId(Uuid::now_v7()), Actor::system("bench"));
        skyfly_commands::flights::schedule_plan(&state.app, &call, &plan)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        flights.push(flight_id.to_string());
    }
    let mut tokens = Vec::new();
    for n in 0..64 {
        let account = RegisterAccount::parse(
            &format!("bench{n}@example.com"),
            "bench-password-1",
            "Bench",
            Role::Customer,
        )?;
        let user = register(&state.app, CommandId(Uuid::now_v7()), account)
            .await?
            .user_id;
        tokens.push(
            state
                .jwt
                .issue(user, Role::Customer, state.clock.now())
                .map_err(|e| anyhow::anyhow!("{}", e.detail))?,
        );
    }
    let client = Arc::new(http::Client::new());
    let (flights, tokens) = (Arc::new(flights), Arc::new(tokens));
    for &n in clients {
        let lag = lag_sampler(state.clone());
        let (client2, flights2, tokens2) = (
            Arc::clone(&client),
            Arc::clone(&flights),
            Arc::clone(&tokens),
        );
        let mut stats = closed_loop(n, load, move |c, i| {
            let (client, flights, tokens) = (
                Arc::clone(&client2),
                Arc::clone(&flights2),
                Arc::clone(&tokens2),
            );
            async move {
                let flight = &flights[(c + i as usize) % flights.len()];
                let token = &tokens[c % tokens.len()];
                match book_until_confirmed(&client, addr, token, flight).await {
                    Ok(true) => Outcome::Ok,
                    _ => Outcome::Failed,
                }
            }
        })
        .await;
        let (lag_ms, lag_events) = lag.finish().await;
        out.figure(json!({
            "suite": "saga", "clients": n, "bookings_per_s": stats.per_s(stats.ok),
            "p50_ms": stats.ms(50.0), "p95_ms": stats.ms(95.0), "p99_ms": stats.ms(99.0),
            "failed": stats.failed, "confirmed": stats.ok,
        }));
        out.figure(json!({
            "suite": "projection", "kind": "lag_under_saga_load", "clients": n,
            "lag_p99_ms": lag_ms, "lag_p99_events": lag_events,
        }));
    }
    Ok(())
}

/// Places one booking and polls its view until it leaves `pending`; `true` if confirmed.
pub(crate) async fn book_until_confirmed(
    client: &http::Client,
    addr: std::net::SocketAddr,
    token: &str,
    flight: &str,
) -> anyhow::Result<bool> {
    let body = format!(
        r#"{{"flight_id":"{flight}","cabin":"economy","passengers":[{{"first_name":"Bench","last_name":"Client"}}],
            "contact":{{"email":"bench@example.com"}},"payment":{{"card_number":"4242424242424242","exp_month":12,"exp_year":2035,"cvc":"123"}}}}"#
    );
    let (status, placed) = client
        .call(
            "POST",
            &format!("http://{addr}/api/v1/bookings"),
            token,
            Some(body),
        )
        .await?;
    if status != 202 {
        bail!("POST /bookings answered {status}: {placed}");
    }
    let id = placed["booking_id"].as_str().unwrap_or_default().to_owned();
    // A client polls the booking view from 20 ms on, backing off to every 60 ms: a figure is at
    // most that late, and the polls do not become the load they measure.
    let give_up = Instant::now() + Duration::from_secs(30);
    let mut pause = Duration::from_millis(20);
    while Instant::now() < give_up {
        tokio::time::sleep(pause).await;
        pause = (pause * 3 / 2).min(Duration::from_millis(60));
        let (_, view) = client
            .call(
                "GET",
                &format!("http://{addr}/api/v1/bookings/{id}"),
                token,
                None,
            )
            .await?;
        match view["status"].as_str() {
            Some("pending") | None => {}
            Some(status) => return Ok(status == "confirmed"),
        }
    }
    Ok(false)
}

/// Samples every projector's lag every 50 ms until finished; the p99 of the samples.
pub(crate) struct LagSampler {
    pub(crate) stop: Arc<std::sync::atomic::AtomicBool>,
    pub(crate) task: tokio::task::JoinHandle<(Vec<u64>, Vec<u64>)>,
}

pub(crate) fn lag_sampler(state: AppState) -> LagSampler {
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let task = tokio::spawn(async move {
        let (mut ms, mut events) = (Vec::new(), Vec::new());
        while !flag.load(std::sync::atomic::Ordering::SeqCst) {
            for p in &state.projectors {
                if let Ok(s) = p.status().await {
                    ms.push(s.lag_ms);
                    events.push(s.lag_events);
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        (ms, events)
    });
    LagSampler { stop, task }
}

impl LagSampler {
    pub(crate) async fn finish(self) -> (u64, u64) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let (mut ms, mut events) = self.task.await.unwrap_or_default();
        (p99(&mut ms), p99(&mut events))
    }
}
