//! Restore the miles redeemed towards a booking.

use super::on_open_account;
use crate::{Application, Call, Executed, UseCaseResult};
use skyfly_domain::ids::{BookingId, LoyaltyAccountId};
use skyfly_domain::loyalty::{LoyaltyAccount, LoyaltyCommand, RestoreMiles};

/// Give back to an account the miles it redeemed on a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restore {
    /// The account.
    pub account_id: LoyaltyAccountId,
    /// The booking whose redemption is undone.
    pub booking_id: BookingId,
}

/// Restores the booking's redeemed miles now; refused with `not_found` unless the account is
/// open.
pub async fn restore(
    app: &Application,
    call: &Call,
    command: Restore,
) -> UseCaseResult<Executed<LoyaltyAccount>> {
    let Restore {
        account_id,
        booking_id,
    } = command;
    on_open_account(app, call, account_id, |at| {
        LoyaltyCommand::RestoreMiles(RestoreMiles { booking_id, at })
    })
    .await
}
