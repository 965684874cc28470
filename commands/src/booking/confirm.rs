//! Confirm a booking by hand (staff), outside the saga.

use crate::{Application, Call, Envelope, Executed, UseCaseError, UseCaseResult};
use skyfly_domain::booking::{Booking, BookingCommand, ConfirmBooking};
use skyfly_domain::ids::BookingId;

/// Confirm a booking now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfirmBookingNow {
    /// The booking.
    pub booking_id: BookingId,
}

/// Confirms the booking (refused unless it may be confirmed).
pub async fn confirm(
    app: &Application,
    call: &Call,
    command: ConfirmBookingNow,
) -> UseCaseResult<Executed<Booking>> {
    let id = command.booking_id;
    let (current, _) = app.bus.load::<Booking>(id).await?;
    if current.state().is_none() {
        return Err(UseCaseError::NotFound("booking"));
    }
    let confirm = BookingCommand::ConfirmBooking(ConfirmBooking { at: app.now() });
    let envelope = Envelope::new(confirm, call.metadata()).expecting(call.expected_version);
    Ok(app.bus.execute::<Booking>(id, envelope).await?)
}
