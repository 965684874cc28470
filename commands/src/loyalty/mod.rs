//! Loyalty use cases (staff; the saga's process manager sends the same commands): award miles
//! for a booking, revoke them, redeem miles towards a booking, restore them. (An account is
//! opened at registration: `identity::register`.)

mod award;
mod redeem;
mod restore;
mod revoke;

#[cfg(test)]
mod tests;

pub use award::{Award, award};
pub use redeem::{Redeem, redeem};
pub use restore::{Restore, restore};
pub use revoke::{Revoke, revoke};

use crate::{Application, Call, Executed, UseCaseError, UseCaseResult};
use chrono::{DateTime, Utc};
use skyfly_domain::ids::LoyaltyAccountId;
use skyfly_domain::loyalty::{LoyaltyAccount, LoyaltyCommand};

/// Runs a command on an open loyalty account (else `not_found`).
async fn on_open_account(
    app: &Application,
    call: &Call,
    account_id: LoyaltyAccountId,
    command: impl FnOnce(DateTime<Utc>) -> LoyaltyCommand + Send,
) -> UseCaseResult<Executed<LoyaltyAccount>> {
    app.execute_existing::<LoyaltyAccount>(
        call,
        account_id,
        LoyaltyAccount::is_open,
        || UseCaseError::NotFound("loyalty account"),
        command,
    )
    .await
}
