//! HTTP routes, per docs/api.md. Handlers turn requests into commands (at the edge), run them
//! through the use cases of `skyfly-commands`, and answer with the resource, its version (`ETag`)
//! and the global position of the last event (`X-Event-Position`).

pub mod audit;
pub mod bookings;
pub mod faults;
pub mod flights;
pub mod health;
pub mod identity;
pub mod inventory;
pub mod loyalty;
pub mod payments;
pub mod pricing;
pub mod queries;
pub mod sagas;
pub mod stream;

use crate::error::ApiError;
use crate::openapi::ProblemResponses;
use crate::state::AppState;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use skyfly_commands::Executed;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(title = "SkyFly", description = "Event-sourced flight booking engine. Errors are application/problem+json with a stable `code`."),
    paths(
        health::health,
        identity::register, identity::login, identity::refresh, identity::logout, identity::me,
        flights::schedule, flights::import, flights::get_flight, flights::availability, pricing::quote,
        inventory::reserve, inventory::release, inventory::commit,
        payments::create_intent, payments::authorize, payments::capture, payments::void, payments::refund, payments::get_payment,
        loyalty::award, loyalty::revoke, loyalty::redeem, loyalty::restore,
        loyalty::my_account, loyalty::my_history, loyalty::tiers,
        bookings::confirm, bookings::place, bookings::get_booking, bookings::cancel,
        faults::arm, faults::list, faults::disarm,
        sagas::get_saga, sagas::list, sagas::retry,
        queries::search, queries::places, queries::projections, queries::rebuild, queries::bookings, queries::payments,
        audit::events, audit::booking_events, stream::stream,
    ),
    components(schemas(crate::error::Problem, crate::error::FieldError, MoneyDto)),
    modifiers(&BearerAuth, &ProblemResponses),
    tags(
        (name = "identity", description = "Accounts and tokens"),
        (name = "flights", description = "Scheduling and seat inventory"),
        (name = "payments", description = "Payments through the card processor"),
        (name = "loyalty", description = "Miles"),
        (name = "bookings", description = "Bookings"),
        (name = "operations", description = "Health and metrics"),
    )
)]
/// The OpenAPI document of the HTTP API.
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Money on the wire: `{ "amount": 12345, "currency": "USD" }` in minor units.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MoneyDto {
    /// Minor units (cents); at most 1,000,000,000 (10,000,000.00) either way.
    #[schema(example = 12345, minimum = -1_000_000_000, maximum = 1_000_000_000)]
    pub amount: i64,
    /// ISO 4217 currency code.
    #[schema(example = "USD", value_type = String)]
    pub currency: String,
}

impl MoneyDto {
    /// The amount, or an invalid `<field>.currency`, or `<field>.amount` beyond
    /// [`Money::MAX_AMOUNT`](skyfly_domain::Money::MAX_AMOUNT) (`amount_out_of_range`): every
    /// amount a client gives is bounded here.
    pub fn to_money(&self, field: &str) -> Result<skyfly_domain::Money, ApiError> {
        let currency = skyfly_domain::Currency::parse(&self.currency).map_err(|e| {
            ApiError::field(format!("{field}.currency"), "invalid_field", e.to_string())
        })?;
        let max = skyfly_domain::Money::MAX_AMOUNT;
        if self.amount.unsigned_abs() > max.unsigned_abs() {
            return Err(ApiError::field(
                format!("{field}.amount"),
                "amount_out_of_range",
                format!("at most {max} minor units"),
            ));
        }
        Ok(skyfly_domain::Money::new(self.amount, currency))
    }
}

impl From<skyfly_domain::Money> for MoneyDto {
    fn from(m: skyfly_domain::Money) -> Self {
        Self {
            amount: m.amount,
            currency: m.currency.to_string(),
        }
    }
}

/// The HTTP API's router with its middleware, over `state`.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/health", get(health::health))
        .route("/auth/register", post(identity::register))
        .route("/auth/login", post(identity::login))
        .route("/auth/token/refresh", post(identity::refresh))
        .route("/auth/logout", post(identity::logout))
        .route("/users/me", get(identity::me))
        .route("/flights", post(flights::schedule))
        .route("/flights/import", post(flights::import))
        .route("/flights/search", get(queries::search))
        .route("/places", get(queries::places))
        .route("/pricing/quote", post(pricing::quote))
        .route("/admin/projections", get(queries::projections))
        .route("/admin/projections/{name}/rebuild", post(queries::rebuild))
        .route("/flights/{flight_id}", get(flights::get_flight))
        .route(
            "/flights/{flight_id}/availability",
            get(flights::availability),
        )
        .route("/inventory/{flight_id}/reserve", post(inventory::reserve))
        .route("/inventory/{flight_id}/release", post(inventory::release))
        .route("/inventory/{flight_id}/commit", post(inventory::commit))
        .route("/payments", get(queries::payments))
        .route("/payments/intent", post(payments::create_intent))
        .route("/payments/{payment_id}", get(payments::get_payment))
        .route(
            "/payments/{payment_id}/authorize",
            post(payments::authorize),
        )
        .route("/payments/{payment_id}/capture", post(payments::capture))
        .route("/payments/{payment_id}/void", post(payments::void))
        .route("/payments/{payment_id}/refund", post(payments::refund))
        .route("/loyalty/account", get(loyalty::my_account))
        .route("/loyalty/history", get(loyalty::my_history))
        .route("/loyalty/tiers", get(loyalty::tiers))
        .route("/loyalty/{account_id}/award", post(loyalty::award))
        .route("/loyalty/{account_id}/revoke", post(loyalty::revoke))
        .route("/loyalty/{account_id}/redeem", post(loyalty::redeem))
        .route("/loyalty/{account_id}/restore", post(loyalty::restore))
        .route("/bookings", post(bookings::place).get(queries::bookings))
        .route("/bookings/{booking_id}", get(bookings::get_booking))
        .route("/bookings/{booking_id}/cancel", post(bookings::cancel))
        .route("/bookings/{booking_id}/events", get(audit::booking_events))
        .route("/admin/events", get(audit::events))
        .route("/stream", get(stream::stream))
        .route("/bookings/{booking_id}/confirm", post(bookings::confirm))
        .route("/admin/faults", post(faults::arm).get(faults::list))
        .route("/admin/sagas", get(sagas::list))
        .route("/admin/sagas/{saga_id}", get(sagas::get_saga))
        .route("/admin/sagas/{saga_id}/retry", post(sagas::retry))
        .route(
            "/admin/faults/{fault_id}",
            axum::routing::delete(faults::disarm),
        )
        .fallback(unknown_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::middleware::read_position,
        ));
    Router::new()
        .nest("/api/v1", api)
        .route("/metrics", get(health::metrics))
        .route("/api/v1/openapi.json", get(crate::openapi::serve))
        .merge(
            utoipa_swagger_ui::SwaggerUi::new("/docs")
                .config(utoipa_swagger_ui::Config::new(["/api/v1/openapi.json"])),
        )
        .fallback(unknown_route)
        .method_not_allowed_fallback(wrong_method)
        .layer(axum::middleware::from_fn(crate::middleware::observe))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            8 * 1024 * 1024,
        ))
        .with_state(state)
}

/// No route has this path: `404 not_found` as a problem document.
async fn unknown_route() -> ApiError {
    ApiError::not_found("route")
}

/// The route exists but not with this method: `405 method_not_allowed` as a problem document.
async fn wrong_method() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this route does not accept this method",
    )
}

/// A `200` JSON response.
pub fn json_ok<T: Serialize>(body: &T) -> Response {
    json_response(StatusCode::OK, body)
}

/// A JSON response with this status (`500` if the body does not serialize).
pub fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => {
            let mut r = (status, bytes).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
        Err(e) => ApiError::internal(e).into_response(),
    }
}

/// Adds `X-Event-Position` (if the command appended) and `ETag` (the aggregate's version).
pub fn with_versions(
    mut response: Response,
    position: Option<u64>,
    version: Option<u64>,
) -> Response {
    if let Some(p) = position
        && let Ok(v) = HeaderValue::from_str(&p.to_string())
    {
        response.headers_mut().insert("x-event-position", v);
    }
    if let Some(v) = version
        && let Ok(v) = HeaderValue::from_str(&format!("\"{v}\""))
    {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
}

/// The answer to a command: the state after it as `view` renders it, with its version (`ETag`)
/// and the position of the command's last event (`X-Event-Position`); `missing` if the view has
/// nothing to show.
pub fn executed<A: skyfly_domain::Aggregate, V: Serialize>(
    done: &Executed<A>,
    view: impl FnOnce(&A, u64) -> Option<V>,
    missing: impl FnOnce() -> ApiError,
) -> Result<Response, ApiError> {
    let rendered = view(&done.state, done.version).ok_or_else(missing)?;
    Ok(with_versions(
        json_ok(&rendered),
        done.position,
        Some(done.version),
    ))
}

/// A `201` JSON response with `Location`, `X-Event-Position` and `ETag`.
pub fn created<T: Serialize>(
    location: &str,
    body: &T,
    position: Option<u64>,
    version: Option<u64>,
) -> Response {
    let mut r = with_versions(json_response(StatusCode::CREATED, body), position, version);
    if let Ok(v) = HeaderValue::from_str(location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

/// The page size a list is asked for with `?limit=`: `default` when absent. Outside 1 to `max`
/// it is `422 invalid_field` naming `limit` and stating the range: never silently clamped.
pub fn page_limit(limit: Option<i64>, default: u32, max: u32) -> Result<u32, ApiError> {
    let Some(limit) = limit else {
        return Ok(default);
    };
    u32::try_from(limit)
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| {
            ApiError::field(
                "limit",
                "invalid_field",
                format!("limit must be 1 to {max} (default {default})"),
            )
        })
}

/// Parses a path segment, naming it on failure.
pub fn path_param<T>(
    field: &str,
    raw: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, ApiError> {
    parse(raw).ok_or_else(|| {
        ApiError::field(
            field,
            "invalid_field",
            format!("{raw:?} is not a valid {field}"),
        )
    })
}
