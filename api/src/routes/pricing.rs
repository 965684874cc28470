//! `POST /api/v1/pricing/quote`: what `passengers` seats in a cabin of a flight cost now
//! (docs/domain.md: `fare = n × base_fare`, `taxes = round_half_up(7.5% × fare)`, valid 15 minutes).
//!
//! A quote is a calculation, not a reservation: nothing is recorded, and a booking placed later
//! is priced again by the same rule at its own time. `quote_id` names the quote's content
//! (flight, cabin, party, amounts, expiry), so the same question at the same instant gets the
//! same id.

use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::routes::{MoneyDto, json_ok};
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use skyfly_domain::cabin::Cabin;
use skyfly_domain::ids::{FlightId, SKYFLY_NAMESPACE};
use skyfly_domain::inventory::FlightInventory;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuoteRequest {
    #[schema(example = "SF100-2026-12-01")]
    pub flight_id: String,
    #[schema(value_type = String, example = "economy")]
    pub cabin: Cabin,
    /// Seats (1 to 9).
    #[schema(example = 2)]
    pub passengers: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuoteView {
    pub quote_id: Uuid,
    pub flight_id: String,
    pub cabin: String,
    pub passengers: u32,
    pub fare: MoneyDto,
    pub taxes: MoneyDto,
    pub total: MoneyDto,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

#[utoipa::path(post, path = "/api/v1/pricing/quote", tag = "flights", request_body = QuoteRequest,
    responses((status = 200, body = QuoteView), (status = 422, body = Problem)))]
pub async fn quote(
    State(state): State<AppState>,
    body: JsonBody<QuoteRequest>,
) -> Result<Response, ApiError> {
    let request = body.value;
    let max = skyfly_domain::booking::MAX_PASSENGERS;
    if request.passengers == 0 || request.passengers as usize > max {
        return Err(ApiError::field(
            "passengers",
            "out_of_range",
            format!("a party is 1 to {max} passengers"),
        ));
    }
    let flight_id = FlightId::parse(&request.flight_id)
        .map_err(|e| ApiError::field("flight_id", "invalid_field", e.to_string()))?;
    let (inventory, _) = state.bus.load::<FlightInventory>(&flight_id).await?;
    if inventory.schedule().is_none() {
        return Err(ApiError::field(
            "flight_id",
            "unknown_flight",
            "no such flight is scheduled",
        ));
    }
    let cabin = inventory.cabin(request.cabin).ok_or_else(|| {
        ApiError::field(
            "cabin",
            "cabin_not_offered",
            "this flight does not offer that cabin",
        )
    })?;
    let quote = skyfly_domain::pricing::quote(
        flight_id,
        request.cabin,
        request.passengers,
        cabin.fare,
        state.clock.now(),
    )
    .map_err(|e| ApiError::field("passengers", "invalid_field", e.to_string()))?;
    let content = serde_json::to_string(&quote).map_err(ApiError::internal)?;
    Ok(json_ok(&QuoteView {
        quote_id: Uuid::new_v5(&SKYFLY_NAMESPACE, format!("quote/{content}").as_bytes()),
        flight_id: quote.flight_id.to_string(),
        cabin: quote.cabin.as_str().to_owned(),
        passengers: quote.passengers,
        fare: quote.fare.into(),
        taxes: quote.taxes.into(),
        total: quote.total.into(),
        expires_at: quote.expires_at,
    }))
}
