//! The state of one flight instance's inventory, and how events change it.

use super::events::{InventoryEvent, SeatState};
use crate::cabin::Cabin;
use crate::ids::{BookingId, FlightId, FlightNumber};
use crate::money::Money;
use crate::place::Iata;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, BTreeSet};

/// The seats of one flight instance. `Default` is a flight not scheduled yet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FlightInventory {
    pub(super) schedule: Option<FlightSchedule>,
    pub(super) holds: BTreeMap<BookingId, Hold>,
    pub(super) sold: BTreeMap<BookingId, Sale>,
    /// Bookings whose seats went back on sale: they may not hold seats again.
    pub(super) released: BTreeSet<BookingId>,
}

/// What the flight is, once scheduled.
#[derive(Debug, Clone, PartialEq)]
pub struct FlightSchedule {
    /// The flight instance.
    pub flight_id: FlightId,
    /// Its flight number.
    pub flight_number: FlightNumber,
    /// The airport it departs from.
    pub origin: Iata,
    /// The airport it arrives at.
    pub destination: Iata,
    /// When it departs (UTC); seats are no longer reserved from then on.
    pub departure: DateTime<Utc>,
    /// When it arrives (UTC).
    pub arrival: DateTime<Utc>,
    /// The seats of each offered cabin.
    pub cabins: BTreeMap<Cabin, CabinInventory>,
}

/// One cabin's seats: `capacity = available + held + sold`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CabinInventory {
    /// How many seats the cabin has.
    pub capacity: u32,
    /// Base fare of one seat.
    pub fare: Money,
    /// Seats neither held nor sold, open to reservation.
    pub available: u32,
    /// Seats held for bookings that have not committed them yet.
    pub held: u32,
    /// Seats sold to bookings.
    pub sold: u32,
}

/// Seats held for a booking until `expires_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hold {
    /// The cabin of the held seats.
    pub cabin: Cabin,
    /// How many seats are held.
    pub seats: u32,
    /// When the hold lapses unless the seats are committed.
    pub expires_at: DateTime<Utc>,
}

/// Seats sold to a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sale {
    /// The cabin of the sold seats.
    pub cabin: Cabin,
    /// How many seats were sold.
    pub seats: u32,
}

impl FlightInventory {
    /// What the flight is, once scheduled (`None` before).
    pub fn schedule(&self) -> Option<&FlightSchedule> {
        self.schedule.as_ref()
    }

    /// Whether the flight instance has been scheduled.
    pub fn is_scheduled(&self) -> bool {
        self.schedule.is_some()
    }

    /// The seats of `cabin`, if the flight is scheduled and offers it.
    pub fn cabin(&self, cabin: Cabin) -> Option<&CabinInventory> {
        self.schedule.as_ref().and_then(|s| s.cabins.get(&cabin))
    }

    /// The seats `booking_id` holds on this flight, if it holds any.
    pub fn hold(&self, booking_id: BookingId) -> Option<&Hold> {
        self.holds.get(&booking_id)
    }

    /// The seats sold to `booking_id` on this flight, if any.
    pub fn sale(&self, booking_id: BookingId) -> Option<&Sale> {
        self.sold.get(&booking_id)
    }

    /// Every hold not yet committed or released, by booking.
    pub fn holds(&self) -> &BTreeMap<BookingId, Hold> {
        &self.holds
    }

    /// Every sale not released, by booking.
    pub fn sales(&self) -> &BTreeMap<BookingId, Sale> {
        &self.sold
    }

    /// Bookings whose hold is due to expire at `now` (for the expiry scheduler).
    pub fn holds_due(&self, now: DateTime<Utc>) -> Vec<BookingId> {
        self.holds
            .iter()
            .filter(|(_, h)| h.expires_at <= now)
            .map(|(id, _)| *id)
            .collect()
    }

    /// `capacity = available + held + sold` in every cabin, and the held and sold counts match the
    /// holds and sales per booking. True for any state built from events `decide` produced.
    pub fn invariant_holds(&self) -> bool {
        let Some(schedule) = &self.schedule else {
            return self.holds.is_empty() && self.sold.is_empty();
        };
        schedule.cabins.iter().all(|(cabin, c)| {
            let held: u64 = self
                .holds
                .values()
                .filter(|h| h.cabin == *cabin)
                .map(|h| u64::from(h.seats))
                .sum();
            let sold: u64 = self
                .sold
                .values()
                .filter(|s| s.cabin == *cabin)
                .map(|s| u64::from(s.seats))
                .sum();
            u64::from(c.capacity) == u64::from(c.available) + u64::from(c.held) + u64::from(c.sold)
                && held == u64::from(c.held)
                && sold == u64::from(c.sold)
        })
    }

    pub(super) fn apply(&mut self, event: &InventoryEvent) {
        match event {
            InventoryEvent::FlightScheduled {
                flight_id,
                flight_number,
                origin,
                destination,
                departure,
                arrival,
                cabins,
            } => {
                let cabins = cabins
                    .iter()
                    .map(|(cabin, spec)| {
                        let inventory = CabinInventory {
                            capacity: spec.capacity,
                            fare: spec.fare,
                            available: spec.capacity,
                            held: 0,
                            sold: 0,
                        };
                        (*cabin, inventory)
                    })
                    .collect();
                self.schedule = Some(FlightSchedule {
                    flight_id: flight_id.clone(),
                    flight_number: flight_number.clone(),
                    origin: *origin,
                    destination: *destination,
                    departure: *departure,
                    arrival: *arrival,
                    cabins,
                });
            }
            InventoryEvent::SeatsReserved {
                booking_id,
                cabin,
                seats,
                expires_at,
            } => {
                if let Some(c) = self.cabin_mut(*cabin) {
                    c.available = c.available.saturating_sub(*seats);
                    c.held = c.held.saturating_add(*seats);
                }
                let hold = Hold {
                    cabin: *cabin,
                    seats: *seats,
                    expires_at: *expires_at,
                };
                self.holds.insert(*booking_id, hold);
            }
            InventoryEvent::SeatsCommitted {
                booking_id,
                cabin,
                seats,
            } => {
                if let Some(c) = self.cabin_mut(*cabin) {
                    c.held = c.held.saturating_sub(*seats);
                    c.sold = c.sold.saturating_add(*seats);
                }
                self.holds.remove(booking_id);
                self.sold.insert(
                    *booking_id,
                    Sale {
                        cabin: *cabin,
                        seats: *seats,
                    },
                );
            }
            InventoryEvent::SeatsReleased {
                booking_id,
                cabin,
                seats,
                was,
                reason: _,
            } => {
                if let Some(c) = self.cabin_mut(*cabin) {
                    match was {
                        SeatState::Held => c.held = c.held.saturating_sub(*seats),
                        SeatState::Sold => c.sold = c.sold.saturating_sub(*seats),
                    }
                    c.available = c.available.saturating_add(*seats);
                }
                match was {
                    SeatState::Held => {
                        self.holds.remove(booking_id);
                    }
                    SeatState::Sold => {
                        self.sold.remove(booking_id);
                    }
                }
                self.released.insert(*booking_id);
            }
        }
    }

    fn cabin_mut(&mut self, cabin: Cabin) -> Option<&mut CabinInventory> {
        self.schedule
            .as_mut()
            .and_then(|s| s.cabins.get_mut(&cabin))
    }
}
