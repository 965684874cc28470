//! The OpenAPI document as `/api/v1/openapi.json` serves it (and `/docs` shows it).
//!
//! The paths and schemas come from the handlers' `#[utoipa::path]` annotations
//! ([`crate::routes::ApiDoc`]); two things are added here, in one place for every operation:
//! - [`ProblemResponses`]: every error response is `application/problem+json` with the
//!   [`Problem`](crate::error::Problem) schema, and every operation declares the errors the edge can
//!   answer whatever the handler (`400`/`422` for a body or parameters, `401` when signed in, and a
//!   `default` for the rest);
//! - [`document`]: the request examples are ones that work against the demo (`serve --demo`): they
//!   name a demo flight that departs tomorrow, a demo account, a test card. The demo's flights are
//!   dated, so the document is built for the engine's time when it is asked for.

use crate::error::ApiError;
use crate::routes::ApiDoc;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use utoipa::OpenApi;
use utoipa::openapi::path::Operation;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};

/// The flight id the annotations use as an example; the served document names a demo flight.
pub const DOCUMENTED_FLIGHT: &str = "SF100-2026-12-01";
/// The day of departure the annotations use as an example (of [`DOCUMENTED_FLIGHT`]).
pub const DOCUMENTED_DATE: &str = "2026-12-01";

/// The media type of every error response.
const PROBLEM_JSON: &str = "application/problem+json";

/// `GET /api/v1/openapi.json`: the document for the engine's time.
pub async fn serve(State(state): State<AppState>) -> Response {
    crate::routes::json_ok(&document(state.clock.now()))
}

/// The OpenAPI document with examples that work against the demo loaded at `now` (or before,
/// for the demo's days).
pub fn document(now: DateTime<Utc>) -> Value {
    let mut doc = match serde_json::to_value(ApiDoc::openapi()) {
        Ok(doc) => doc,
        Err(e) => return json!({ "error": ApiError::internal(e).detail }),
    };
    let Some(sample) = skyfly_engine::demo::sample_flight(now) else {
        return doc;
    };
    let flight = sample.flight_id.to_string();
    let date = sample.departure.date_naive().to_string();
    replace_strings(&mut doc, &|s| match s {
        DOCUMENTED_FLIGHT => Some(flight.clone()),
        DOCUMENTED_DATE => Some(date.clone()),
        _ => None,
    });
    for (method, path, example) in request_examples(&sample) {
        if let Some(content) = doc
            .pointer_mut(&format!(
                "/paths/{}/{method}/requestBody/content/application~1json",
                path.replace('~', "~0").replace('/', "~1")
            ))
            .and_then(Value::as_object_mut)
        {
            content.insert("example".into(), example);
        }
    }
    doc
}

/// Replaces every string of `value` for which `with` has a replacement.
fn replace_strings(value: &mut Value, with: &impl Fn(&str) -> Option<String>) {
    match value {
        Value::String(s) => {
            if let Some(new) = with(s) {
                *s = new;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| replace_strings(v, with)),
        Value::Object(fields) => fields.values_mut().for_each(|v| replace_strings(v, with)),
        _ => {}
    }
}

/// A booking id for the examples that name one (commands on inventory, payments and miles are
/// the saga's, and refer to its booking).
const EXAMPLE_BOOKING: &str = "0193b1c2-0000-7000-8000-000000000001";

/// The request body of every JSON operation, as `(method, path, example)`: each one works
/// against the demo (the flight departs tomorrow, the account is a demo account, the card is
/// the test card that is approved).
fn request_examples(
    sample: &skyfly_engine::demo::FlightPlan,
) -> Vec<(&'static str, &'static str, Value)> {
    let flight = sample.flight_id.to_string();
    let customer = skyfly_engine::demo::demo_customers().into_iter().next();
    let (email, password) = customer.map_or(("ada@example.com", "skyfly-demo-1"), |c| {
        (c.email, c.password)
    });
    let card = json!({ "card_number": "4242 4242 4242 4242", "exp_month": 12, "exp_year": 2030, "cvc": "123" });
    let money = json!({ "amount": 19900, "currency": "USD" });
    let booking = json!({ "booking_id": EXAMPLE_BOOKING });
    let later = |t: DateTime<Utc>| {
        (t + Duration::hours(1)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    vec![
        (
            "post",
            "/api/v1/auth/register",
            json!({ "email": "new.customer@example.com", "password": "correct horse battery", "name": "New Customer" }),
        ),
        (
            "post",
            "/api/v1/auth/login",
            json!({ "email": email, "password": password }),
        ),
        (
            "post",
            "/api/v1/auth/token/refresh",
            json!({ "refresh_token": "the refresh_token of POST /auth/login" }),
        ),
        (
            "post",
            "/api/v1/auth/logout",
            json!({ "refresh_token": "the refresh_token of POST /auth/login" }),
        ),
        (
            "post",
            "/api/v1/flights",
            json!({
            "flight_number": "SF9001", "origin": sample.origin.as_str(), "destination": sample.destination.as_str(),
            "departure": later(sample.departure), "arrival": later(sample.arrival),
            "cabins": { "economy": { "capacity": 150, "fare": money } } }),
        ),
        (
            "post",
            "/api/v1/pricing/quote",
            json!({ "flight_id": flight, "cabin": "economy", "passengers": 2 }),
        ),
        (
            "post",
            "/api/v1/bookings",
            json!({
            "flight_id": flight, "cabin": "economy",
            "passengers": [{ "first_name": "Ada", "last_name": "Lovelace" }],
            "contact": { "email": email }, "payment": card, "redeem_miles": 0 }),
        ),
        (
            "post",
            "/api/v1/inventory/{flight_id}/reserve",
            json!({ "booking_id": EXAMPLE_BOOKING, "cabin": "economy", "seats": 2 }),
        ),
        (
            "post",
            "/api/v1/inventory/{flight_id}/release",
            booking.clone(),
        ),
        (
            "post",
            "/api/v1/inventory/{flight_id}/commit",
            booking.clone(),
        ),
        (
            "post",
            "/api/v1/payments/intent",
            json!({ "booking_id": EXAMPLE_BOOKING, "amount": money }),
        ),
        ("post", "/api/v1/payments/{payment_id}/authorize", card),
        ("post", "/api/v1/payments/{payment_id}/capture", json!({})),
        ("post", "/api/v1/payments/{payment_id}/void", json!({})),
        (
            "post",
            "/api/v1/payments/{payment_id}/refund",
            json!({ "amount": { "amount": 1000, "currency": "USD" } }),
        ),
        (
            "post",
            "/api/v1/loyalty/{account_id}/award",
            json!({ "booking_id": EXAMPLE_BOOKING, "miles": 1200 }),
        ),
        (
            "post",
            "/api/v1/loyalty/{account_id}/revoke",
            booking.clone(),
        ),
        (
            "post",
            "/api/v1/loyalty/{account_id}/redeem",
            json!({ "booking_id": EXAMPLE_BOOKING, "miles": 1200 }),
        ),
        ("post", "/api/v1/loyalty/{account_id}/restore", booking),
        (
            "post",
            "/api/v1/admin/faults",
            json!({ "step": "authorize_payment", "mode": "delay", "delay_ms": 500 }),
        ),
    ]
}

/// Types every error response as a problem document and declares, on every operation, the errors
/// the edge answers whatever the handler.
#[derive(Debug, Clone, Copy)]
pub struct ProblemResponses;

impl utoipa::Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in operations.into_iter().flatten() {
                problem_responses(op);
            }
        }
    }
}

fn problem_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    RefOr::T(
        ResponseBuilder::new()
            .description(description)
            .content(
                PROBLEM_JSON,
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("Problem")))
                    .build(),
            )
            .build(),
    )
}

fn problem_responses(op: &mut Operation) {
    let responses = &mut op.responses.responses;
    for (status, response) in responses.iter_mut() {
        let RefOr::T(response) = response else {
            continue;
        };
        if response.description.is_empty() {
            response.description = status
                .parse::<u16>()
                .ok()
                .and_then(|s| StatusCode::from_u16(s).ok())
                .and_then(|s| s.canonical_reason())
                .unwrap_or("")
                .to_owned();
        }
        let is_problem = |c: &utoipa::openapi::Content| matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem"));
        if let Some(content) = response.content.shift_remove("application/json") {
            let key = if is_problem(&content) {
                PROBLEM_JSON
            } else {
                "application/json"
            };
            response.content.insert(key.to_owned(), content);
        }
    }
    let has_json_body = op
        .request_body
        .as_ref()
        .is_some_and(|b| b.content.contains_key("application/json"));
    let has_parameters = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let signed_in = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let mut declare = |status: &str, description: &str| {
        responses
            .entry(status.to_owned())
            .or_insert_with(|| problem_response(description));
    };
    if has_json_body {
        declare("400", "malformed_json: the body is not JSON");
    }
    if has_json_body || has_parameters {
        declare(
            "422",
            "a body field or a parameter is missing, unknown or invalid (errors[].field names it)",
        );
    }
    if signed_in {
        declare("401", "no, a malformed or an expired access token");
    }
    declare(
        "default",
        "any other error: 403 forbidden, 404 not_found, 405, 413, 415, 500 internal_error, 503 unavailable",
    );
}
