//! Seat holds and miles that expire: the follower indexes them in the process store; this sends
//! the expiring command once each is due (also those that came due while the engine was down).

use super::{ProcessManager, metadata, system};
use crate::{CommandError, Envelope};
use skyfly_domain::event::Metadata;
use skyfly_domain::ids::CommandId;
use skyfly_domain::inventory::{ExpireHold, FlightInventory, InventoryCommand};
use skyfly_domain::loyalty::{ExpireMiles, LoyaltyAccount, LoyaltyCommand};
use skyfly_domain::store::StoreError;

/// How many due holds, or due lots, one pass expires at most.
const BATCH: usize = 256;

impl ProcessManager {
    /// Releases the seats of every hold that came due (also those that came due while down).
    pub async fn expire_holds(&self) -> Result<usize, StoreError> {
        let now = self.now();
        let due = self.process.due_holds(now, BATCH).await?;
        for (flight, booking) in &due {
            let command_id = CommandId::derived(&format!("expire-hold/{flight}/{booking}"));
            let command = InventoryCommand::ExpireHold(ExpireHold {
                booking_id: *booking,
                now,
            });
            match self
                .bus
                .execute::<FlightInventory>(
                    flight,
                    Envelope::new(command, metadata(*booking, command_id)),
                )
                .await
            {
                Ok(_) | Err(CommandError::Rejected(_)) => {
                    self.process.unhold(flight, *booking).await?
                }
                Err(CommandError::Store(e)) => return Err(e),
                Err(e) => {
                    tracing::warn!(%flight, %booking, error = %e, "hold could not be expired")
                }
            }
        }
        Ok(due.len())
    }

    /// Expires the miles of every lot that came due (also those that came due while down).
    pub async fn expire_miles(&self) -> Result<usize, StoreError> {
        let now = self.now();
        let due = self.process.due_expiries(now, BATCH).await?;
        for (account, at) in &due {
            let command_id =
                CommandId::derived(&format!("expire-miles/{account}/{}", at.timestamp_micros()));
            let command = LoyaltyCommand::ExpireMiles(ExpireMiles { at: *at });
            let meta = Metadata::new(command_id, system());
            match self
                .bus
                .execute::<LoyaltyAccount>(*account, Envelope::new(command, meta))
                .await
            {
                Ok(_) | Err(CommandError::Rejected(_)) => {
                    self.process.expiry_done(*account, *at).await?
                }
                Err(CommandError::Store(e)) => return Err(e),
                Err(e) => {
                    tracing::warn!(%account, error = %e, "miles could not be expired")
                }
            }
        }
        Ok(due.len())
    }
}
