//! The log follower: a safety net that finds sagas however they were started, retried or
//! cancelled, and keeps the indexes of the seat holds and miles that will expire.
//!
//! What an event means to it is a pure function ([`interest`]) of the event, decoded into its
//! aggregate's type (by its stream's category), tested without a store.

use super::ProcessManager;
use chrono::{DateTime, Utc};
use skyfly_domain::aggregate::instance_id;
use skyfly_domain::event::{CodecError, RecordedEvent, decode_of};
use skyfly_domain::faults::{BOARD_ID, FaultBoard};
use skyfly_domain::ids::{BookingId, FlightId, LoyaltyAccountId};
use skyfly_domain::inventory::{FlightInventory, InventoryEvent};
use skyfly_domain::loyalty::{LoyaltyAccount, LoyaltyEvent};
use skyfly_domain::saga::{BookingSaga, SagaEvent};
use skyfly_domain::store::StoreError;
use std::sync::Arc;
use std::time::Duration;

/// The follower's name for its checkpoint in the process store.
const FOLLOWER: &str = "booking_saga_follower";

/// What the follower does about one event of the log.
#[derive(Debug, Clone, PartialEq)]
enum Interest {
    /// The fault board changed (armed, disarmed or used up, maybe by another process): bring the
    /// cached board up to date.
    FaultBoard,
    /// A saga was started, its parked items retried, or its booking cancelled: queue it.
    Saga(BookingId),
    /// Seats were held for a booking until `until`: they are released then unless committed.
    Hold {
        flight: FlightId,
        booking: BookingId,
        until: DateTime<Utc>,
    },
    /// A booking's hold ended (committed or released): nothing to expire.
    Unhold {
        flight: FlightId,
        booking: BookingId,
    },
    /// Lots gained miles that expire at these instants.
    Miles {
        account: LoyaltyAccountId,
        expiries: Vec<DateTime<Utc>>,
    },
}

/// What `event` means to the follower, if anything.
fn interest(event: &RecordedEvent) -> Option<Interest> {
    if instance_id::<FaultBoard>(&event.stream_id).is_some() {
        // Whatever happened on the board, the board is read again.
        return Some(Interest::FaultBoard);
    }
    if let Some(decoded) = decode_of::<BookingSaga, BookingId>(event) {
        return match decoded_or_skip(event, decoded)? {
            (
                id,
                SagaEvent::SagaStarted { .. }
                | SagaEvent::ParkedRetried { .. }
                | SagaEvent::CancellationStarted { .. },
            ) => Some(Interest::Saga(id)),
            _ => None,
        };
    }
    if let Some(decoded) = decode_of::<FlightInventory, FlightId>(event) {
        return match decoded_or_skip(event, decoded)? {
            (
                flight,
                InventoryEvent::SeatsReserved {
                    booking_id,
                    expires_at,
                    ..
                },
            ) => Some(Interest::Hold {
                flight,
                booking: booking_id,
                until: expires_at,
            }),
            (flight, InventoryEvent::SeatsCommitted { booking_id, .. })
            | (flight, InventoryEvent::SeatsReleased { booking_id, .. }) => {
                Some(Interest::Unhold {
                    flight,
                    booking: booking_id,
                })
            }
            (_, InventoryEvent::FlightScheduled { .. }) => None,
        };
    }
    if let Some(decoded) = decode_of::<LoyaltyAccount, LoyaltyAccountId>(event) {
        // Every lot that gains miles will expire: awards, and restored slices (whose lot may have
        // expired meanwhile, then they are due at once).
        return match decoded_or_skip(event, decoded)? {
            (account, LoyaltyEvent::MilesAwarded { expires_at, .. }) => Some(Interest::Miles {
                account,
                expiries: vec![expires_at],
            }),
            (account, LoyaltyEvent::MilesRestored { lots, .. }) => Some(Interest::Miles {
                account,
                expiries: lots.iter().map(|l| l.expires_at).collect(),
            }),
            _ => None,
        };
    }
    None
}

/// The decoded event, or `None` (logged) when an event of a known aggregate does not decode.
fn decoded_or_skip<T>(event: &RecordedEvent, decoded: Result<T, CodecError>) -> Option<T> {
    decoded
        .inspect_err(|e| {
            tracing::warn!(event_id = %event.event_id, stream = %event.stream_id, error = %e, "process manager skipped an undecodable event");
        })
        .ok()
}

impl ProcessManager {
    /// Follows the global log from its checkpoint: queues sagas that were started, retried or
    /// cancelled, and keeps the indexes of seat holds and miles that will expire.
    pub(super) async fn follow(&self) {
        let mut position = 0;
        while !self.is_stopped() {
            match self.follow_once().await {
                Ok((0, at)) => {
                    position = at;
                    self.bus.store().wait_for_events(position).await;
                }
                Ok((_, at)) => {
                    position = at;
                    self.wake.notify_one();
                    // Under a steady trickle, take a few milliseconds of events at a time.
                    tokio::time::sleep(Duration::from_millis(3)).await;
                }
                Err(e) => {
                    tracing::warn!(error = %e, position, "follower could not handle the log; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Handles the log from the follower's checkpoint up to what is readable now, in batches;
    /// returns how many events and the new checkpoint. (`run` does this continuously; scenarios
    /// and tests that drive the engine step by step call it directly.)
    pub async fn follow_once(&self) -> Result<(usize, u64), StoreError> {
        let store = Arc::clone(self.bus.store());
        let mut position = self.process.checkpoint(FOLLOWER).await?;
        let mut handled = 0;
        loop {
            let batch = store.read_all(position, 500).await?;
            if batch.is_empty() {
                return Ok((handled, position));
            }
            for event in &batch {
                self.observe(event).await?;
                position = event.global_position;
                handled += 1;
            }
            self.process.save_checkpoint(FOLLOWER, position).await?;
        }
    }

    /// Does what `event` asks of the follower.
    async fn observe(&self, event: &RecordedEvent) -> Result<(), StoreError> {
        match interest(event) {
            None => {}
            Some(Interest::FaultBoard) => {
                if let Err(e) = self.bus.load::<FaultBoard>(BOARD_ID).await {
                    tracing::warn!(error = %e, "could not refresh the fault board");
                }
            }
            Some(Interest::Saga(id)) => self.process.schedule(id, None).await?,
            Some(Interest::Hold {
                flight,
                booking,
                until,
            }) => self.process.hold(&flight, booking, until).await?,
            Some(Interest::Unhold { flight, booking }) => {
                self.process.unhold(&flight, booking).await?
            }
            Some(Interest::Miles { account, expiries }) => {
                for at in expiries {
                    self.process.schedule_expiry(account, at).await?;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
