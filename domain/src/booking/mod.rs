//! Bookings (`Booking`, stream `booking-<BookingId>`): what a customer asked for and how it ended.
//!
//! A booking is placed `Pending` with the quote it will charge; the booking saga (a process manager
//! outside the domain) drives the other aggregates and then tells the booking how it ended:
//! `Confirmed` (tickets issued), `Rejected` (no seats, nothing to undo) or `Failed { step, reason }`
//! (after compensation). A confirmed booking can be cancelled before departure:
//! `CancellationRequested` (the refund due is fixed at that moment) → `Cancelled`.
//!
//! Key decision: the booking records outcomes, it does not orchestrate. It never calls inventory,
//! payment or loyalty; the saga reads its events and sends the commands. Every transition into the
//! state it is already in is a no-op, so the saga may resend anything.

mod cancellation;
mod confirm_booking;
mod end_booking;
mod error;
mod events;
mod passenger;
mod place_booking;
mod saga_step;
mod state;
mod ticket;

#[cfg(test)]
mod tests;

pub use cancellation::{CompleteCancellation, FULL_REFUND_NOTICE, RequestCancellation};
pub use confirm_booking::ConfirmBooking;
pub use end_booking::{FailBooking, RejectBooking};
pub use error::BookingError;
pub use events::BookingEvent;
pub use passenger::{MAX_PASSENGER_NAME_LEN, Passenger};
pub use place_booking::{MAX_PASSENGERS, PlaceBooking};
pub use saga_step::SagaStep;
pub use state::{Booking, BookingState, BookingStatus, Cancellation, Failure, Rejection};
pub use ticket::{TICKET_PREFIX, ticket_number};

use crate::aggregate::Aggregate;

command_enum! {
    /// Every command the booking accepts.
    pub enum BookingCommand {
        /// A customer places a booking at a quoted price.
        PlaceBooking,
        /// The saga succeeded: issue the tickets.
        ConfirmBooking,
        /// No seats were available: the booking is rejected.
        RejectBooking,
        /// A step failed and was compensated: the booking failed.
        FailBooking,
        /// The customer or staff asks to cancel a confirmed booking.
        RequestCancellation,
        /// The cancellation was carried out.
        CompleteCancellation,
    }
}

impl Aggregate for Booking {
    const CATEGORY: &'static str = "booking";
    type Event = BookingEvent;
    type Command = BookingCommand;
    type Error = BookingError;

    fn evolve(&mut self, event: &BookingEvent) {
        self.apply(event);
    }

    fn decide(&self, command: &BookingCommand) -> Result<Vec<BookingEvent>, BookingError> {
        match command {
            BookingCommand::PlaceBooking(c) => place_booking::decide(self, c),
            BookingCommand::ConfirmBooking(c) => confirm_booking::decide(self, c),
            BookingCommand::RejectBooking(c) => end_booking::decide_reject(self, c),
            BookingCommand::FailBooking(c) => end_booking::decide_fail(self, c),
            BookingCommand::RequestCancellation(c) => cancellation::decide_request(self, c),
            BookingCommand::CompleteCancellation(c) => cancellation::decide_complete(self, c),
        }
    }
}
