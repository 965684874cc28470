//! Redeem miles towards a booking.

use super::on_open_account;
use crate::{Application, Call, Executed, UseCaseResult};
use skyfly_domain::ids::{BookingId, LoyaltyAccountId};
use skyfly_domain::loyalty::{LoyaltyAccount, LoyaltyCommand, RedeemMiles};

/// Spend miles of an account on a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redeem {
    /// The account.
    pub account_id: LoyaltyAccountId,
    /// The booking the miles pay for.
    pub booking_id: BookingId,
    /// How many miles.
    pub miles: u64,
}

/// Redeems the miles now; refused with `not_found` unless the account is open, or by the
/// account (`insufficient_miles`, `invalid_miles`, `redemption_mismatch`).
pub async fn redeem(
    app: &Application,
    call: &Call,
    command: Redeem,
) -> UseCaseResult<Executed<LoyaltyAccount>> {
    let Redeem {
        account_id,
        booking_id,
        miles,
    } = command;
    on_open_account(app, call, account_id, |at| {
        LoyaltyCommand::RedeemMiles(RedeemMiles {
            booking_id,
            miles,
            at,
        })
    })
    .await
}
