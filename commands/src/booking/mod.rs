//! Booking use cases: place a booking (which starts its saga), confirm one (staff), cancel one
//! (which starts the cancellation saga). The saga's process manager does the rest.

mod cancel;
mod confirm;
mod place;

#[cfg(test)]
mod tests;

pub use cancel::{CancelBooking, Cancelled, cancel};
pub use confirm::{ConfirmBookingNow, confirm};
pub use place::{PlaceBookingRequest, Placed, place};

use crate::{Application, Caller, UseCaseError, UseCaseResult};
use skyfly_domain::booking::Booking;
use skyfly_domain::ids::BookingId;
use uuid::Uuid;

/// How long a saga step may take before it times out (the saga's default).
pub const STEP_TIMEOUT_SECS: u32 = skyfly_domain::saga::DEFAULT_STEP_TIMEOUT_SECS;

/// Loads a booking the caller may see: its owner or staff. Anything else does not exist
/// (`not_found`, never a hint that it exists).
pub async fn visible_booking(
    app: &Application,
    caller: &Caller,
    raw_id: &str,
) -> UseCaseResult<(BookingId, Booking, u64)> {
    let id = Uuid::parse_str(raw_id)
        .map(BookingId)
        .map_err(|_| UseCaseError::NotFound("booking"))?;
    let (booking, version) = app.bus.load::<Booking>(id).await?;
    let owner = booking
        .state()
        .map(|b| b.customer)
        .ok_or(UseCaseError::NotFound("booking"))?;
    if !caller.is_staff() && owner != caller.user_id {
        return Err(UseCaseError::NotFound("booking"));
    }
    Ok((id, booking, version))
}
