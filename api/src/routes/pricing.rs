//! `POST /api/v1/pricing/quote`: what `passengers` seats in a cabin of a flight cost now
//! (docs/domain.md: `fare = n × base_fare`, `taxes = round_half_up(7.5% × fare)`, valid 15 minutes).
//! The use case is `skyfly_commands::pricing::quote`: it records nothing, and `quote_id` names
//! the quote's content, so the same question at the same instant gets the same id.

use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::routes::{MoneyDto, json_ok};
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use skyfly_commands::pricing::{self, PriceSeats, Quoted};
use skyfly_domain::cabin::Cabin;
use utoipa::ToSchema;
use uuid::Uuid;

/// What seats in a cabin of a flight cost now: the question of a quote.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    /// The flight to price.
    #[schema(example = "SF100-2026-12-01")]
    pub flight_id: String,
    /// The cabin to price.
    #[schema(value_type = String, example = "economy")]
    pub cabin: Cabin,
    /// Seats (1 to 9).
    #[schema(example = 2)]
    pub passengers: u32,
}

/// A price quote, valid for 15 minutes; nothing is recorded.
#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteView {
    /// Names the quote's content: the same question at the same instant gets the same id.
    pub quote_id: Uuid,
    /// The priced flight.
    pub flight_id: String,
    /// The priced cabin.
    pub cabin: String,
    /// The number of seats priced.
    pub passengers: u32,
    /// The fare for all the seats.
    pub fare: MoneyDto,
    /// The taxes on the fare.
    pub taxes: MoneyDto,
    /// Fare plus taxes.
    pub total: MoneyDto,
    /// When the quote stops being valid.
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

#[utoipa::path(post, path = "/api/v1/pricing/quote", tag = "flights", request_body = QuoteRequest,
    responses((status = 200, body = QuoteView), (status = 422, body = Problem)))]
/// Quotes what seats in a cabin of a flight cost now, recording nothing.
pub async fn quote(
    State(state): State<AppState>,
    body: JsonBody<QuoteRequest>,
) -> Result<Response, ApiError> {
    let r = &body.value;
    let question = PriceSeats::parse(&r.flight_id, r.cabin, r.passengers)?;
    let Quoted { quote_id, quote } = pricing::quote(&state.app, question).await?;
    Ok(json_ok(&QuoteView {
        quote_id,
        flight_id: quote.flight_id.to_string(),
        cabin: quote.cabin.as_str().to_owned(),
        passengers: quote.passengers,
        fare: quote.fare.into(),
        taxes: quote.taxes.into(),
        total: quote.total.into(),
        expires_at: quote.expires_at,
    }))
}
