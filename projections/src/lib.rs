//! # skyfly-projections
//!
//! **Owns** the read side, one module per read model, each owning its table(s), its row type
//! (`<Noun>Row`), its writer (a `<Noun>Projection`, which maps each event onto rows) and its queries:
//!
//! | module | tables | writer | queries |
//! | --- | --- | --- | --- |
//! | [`bookings`] | `booking_view` | [`bookings::BookingProjection`] | [`bookings::get`] (with the saga's document), [`bookings::list`] |
//! | [`flights`] | `flight_availability` | [`flights::FlightAvailabilityProjection`] | [`flights::search`], [`flights::availability`] |
//! | [`payments`] | `payment_view` | [`payments::PaymentProjection`] | [`payments::by_booking`] |
//! | [`loyalty`] | `loyalty_history` | [`loyalty::LoyaltyHistoryProjection`] | [`loyalty::history`] |
//! | [`documents`] | `saga_view`, `loyalty_account` | [`documents::SagaProjection`], [`documents::LoyaltyAccountProjection`] | [`documents::load`], [`documents::list`] |
//! | [`places`] | `airports` (reference data, not derived from the log) | [`places::upsert`] | [`places::search`], [`places::probe`] |
//!
//! It also owns the runtime that keeps the projections up to date in PostgreSQL (checkpoints in
//! `projection_checkpoints`), waiting for a read model to reach a position (read-your-writes),
//! and rebuilding a read model from the log into fresh tables with an atomic switch. No other
//! crate writes SQL against these tables; the HTTP API calls the queries here and maps the rows
//! to its bodies.
//!
//! The event log is read only through the event-store port (`skyfly_domain::store::EventStore`):
//! batches, the head, and the backlog behind a checkpoint (lag, rebuild totals); never by SQL
//! against the `events` table.
//!
//! **Must not depend on** `skyfly-commands` or `skyfly-api`: read models are derived from the
//! event log only, never from the write side's state.
//!
//! **Key decision**: a projection writes its rows and its checkpoint in the same transaction,
//! under a per-projection advisory lock, so each event takes effect exactly once — across crashes,
//! restarts, a second projector process, and a rebuild switching tables underneath.

#![warn(missing_docs)]

pub mod bookings;
pub mod documents;
pub mod flights;
pub mod inspect;
pub mod loyalty;
pub mod payments;
pub mod places;
pub mod rebuild;
pub mod runtime;

pub use rebuild::{RebuildClaim, RebuildState, rebuild, rebuild_states};
pub use runtime::{Projection, Projector, ProjectorStatus};

/// One page of a list query, with the cursor of the next page.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The rows, in the list's order.
    pub rows: Vec<T>,
    /// Where the next page starts, when there are rows after this page; `None` on the last.
    pub next_cursor: Option<u64>,
}

impl<T> Page<T> {
    /// Whether rows follow this page.
    pub fn has_more(&self) -> bool {
        self.next_cursor.is_some()
    }

    /// A page of `limit` rows out of `rows`, fetched with `LIMIT` [`fetch_limit`]`(limit)`: one
    /// row more than the page tells whether another page follows, which then continues at the
    /// page's last row's `cursor` (an exactly full last page has no next page).
    pub fn of(mut rows: Vec<T>, limit: u32, cursor: impl Fn(&T) -> i64) -> Self {
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = if more {
            rows.last().map(|r| u64::try_from(cursor(r)).unwrap_or(0))
        } else {
            None
        };
        Self { rows, next_cursor }
    }
}

/// The `LIMIT` a page of `limit` rows is fetched with (see [`Page::of`]).
pub fn fetch_limit(limit: u32) -> i64 {
    i64::from(limit) + 1
}

/// A position as PostgreSQL stores it.
pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
