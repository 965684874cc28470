//! Booking commands served by the write side. (`POST /bookings` and cancellation start the saga and
//! arrive with it.)

use crate::auth::Staff;
use crate::error::{ApiError, Problem};
use crate::extract::{IdempotencyKey, IfMatch, JsonBody};
use crate::routes::{CommandCall, path_param};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Serialize;
use skyfly_domain::booking::{Booking, BookingCommand, ConfirmBooking};
use skyfly_domain::ids::BookingId;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Serialize, ToSchema)]
pub struct BookingStatusView {
    pub booking_id: Uuid,
    pub locator: String,
    /// `pending | confirmed | rejected | failed | cancelled`
    pub status: String,
    pub ticket_numbers: Vec<String>,
    pub version: u64,
}

impl BookingStatusView {
    fn of(booking: &Booking, version: u64) -> Option<Self> {
        let s = booking.state()?;
        Some(Self {
            booking_id: s.booking_id.0,
            locator: s.locator.to_string(),
            status: s.status.as_str().to_owned(),
            ticket_numbers: s.ticket_numbers.clone(),
            version,
        })
    }
}

#[utoipa::path(post, path = "/api/v1/bookings/{booking_id}/confirm", tag = "bookings", security(("bearer" = [])),
    params(("booking_id" = Uuid, Path), ("If-Match" = Option<String>, Header), ("Idempotency-Key" = Option<String>, Header)),
    responses((status = 200, body = BookingStatusView), (status = 404, body = Problem), (status = 409, body = Problem)))]
pub async fn confirm(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(booking_id): Path<String>,
    IdempotencyKey(key): IdempotencyKey,
    IfMatch(expected): IfMatch,
    body: JsonBody<crate::routes::payments::Empty>,
) -> Response {
    CommandCall {
        state: &state,
        caller,
        key,
        operation: format!("POST /bookings/{booking_id}/confirm"),
        body: body.raw,
        expected,
    }
    .execute::<Booking, _, _>(
        path_param("booking_id", &booking_id, |s| {
            Uuid::parse_str(s).ok().map(BookingId)
        }),
        |b: &Booking| b.state().is_some(),
        || ApiError::not_found("booking"),
        |at| Ok(BookingCommand::ConfirmBooking(ConfirmBooking { at })),
        BookingStatusView::of,
    )
    .await
}
