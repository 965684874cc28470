//! Cancel a booking (its owner or staff): the booking records the request and its refund (by the
//! refund rule), then the cancellation saga releases the seats, refunds and settles the miles.

use super::visible_booking;
use crate::{Application, Call, Caller, Envelope, UseCaseError, UseCaseResult};
use skyfly_domain::booking::{Booking, BookingCommand, BookingStatus, RequestCancellation};
use skyfly_domain::ids::{BookingId, CommandId, Locator};
use skyfly_domain::saga::{BookingSaga, SagaCommand, StartCancellation};

/// Cancel the booking named by a raw id (resolved against what the caller may see).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancelBooking {
    /// The booking id as given.
    pub booking_id: String,
}

/// A cancellation that was accepted (or found already under way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancelled {
    /// The booking.
    pub booking_id: BookingId,
    /// Its locator.
    pub locator: Locator,
    /// Its status now.
    pub status: BookingStatus,
    /// The booking stream's version.
    pub version: u64,
    /// Global position of the request's event.
    pub position: Option<u64>,
}

/// Requests the cancellation and starts its saga. `call` names the command id and the booking
/// version the caller expects (`If-Match`): a stale one is a version conflict, nothing recorded.
pub async fn cancel(
    app: &Application,
    caller: &Caller,
    call: &Call,
    command: &CancelBooking,
) -> UseCaseResult<Cancelled> {
    let (id, _, _) = visible_booking(app, caller, &command.booking_id).await?;
    let now = app.now();
    let request = BookingCommand::RequestCancellation(RequestCancellation {
        at: now,
        by: caller.user_id,
    });
    let meta = call.metadata_in(id.0);
    let envelope = Envelope::new(request, meta.clone()).expecting(call.expected_version);
    let done = app.bus.execute::<Booking>(id, envelope).await?;
    let b = done
        .state
        .state()
        .ok_or(UseCaseError::NotFound("booking"))?;
    if let Some(c) = &b.cancellation {
        let start = SagaCommand::StartCancellation(StartCancellation {
            refund: c.refund,
            requested_by: c.requested_by,
            at: now,
        });
        let saga_meta = skyfly_domain::event::Metadata {
            command_id: CommandId::derived(&format!("{id}/start-cancellation")),
            ..meta
        };
        app.bus
            .execute::<BookingSaga>(id, Envelope::new(start, saga_meta))
            .await?;
        app.process.enqueue(id).await?;
    }
    Ok(Cancelled {
        booking_id: id,
        locator: b.locator.clone(),
        status: b.status,
        version: done.version,
        position: done.position,
    })
}
