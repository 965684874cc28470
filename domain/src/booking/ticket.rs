//! Ticket numbers: 13 digits, a 3-digit airline accounting prefix and a 10-digit serial.

use crate::ids::BookingId;

/// SkyFly's (made-up) airline accounting prefix.
pub const TICKET_PREFIX: &str = "779";

const SERIALS: u64 = 10_000_000_000;

/// The ticket number of the `passenger_index`-th passenger (0-based) of a booking.
///
/// Derived, not allocated: confirming a booking twice, or rebuilding a read model, gives the same
/// numbers, and the passengers of one booking get consecutive (hence distinct) serials.
pub fn ticket_number(booking_id: BookingId, passenger_index: usize) -> String {
    let id = booking_id.0.as_u128();
    // Fold the whole id so that UUIDv7's time-ordered high bits and random low bits both count.
    let folded = (id ^ (id >> 64)) as u64;
    let serial = (folded % SERIALS + passenger_index as u64 % SERIALS) % SERIALS;
    format!("{TICKET_PREFIX}{serial:010}")
}
