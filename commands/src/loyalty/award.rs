//! Award miles for a booking.

use super::on_open_account;
use crate::{Application, Call, Executed, UseCaseResult};
use skyfly_domain::ids::{BookingId, LoyaltyAccountId};
use skyfly_domain::loyalty::{Accrual, AwardMiles, LoyaltyAccount, LoyaltyCommand};

/// Award a number of miles to an account for a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Award {
    /// The account.
    pub account_id: LoyaltyAccountId,
    /// The booking the miles are for (one award per booking).
    pub booking_id: BookingId,
    /// How many miles.
    pub miles: u64,
}

/// Awards the miles now; refused with `not_found` unless the account is open, or by the account
/// (`invalid_miles`).
pub async fn award(
    app: &Application,
    call: &Call,
    command: Award,
) -> UseCaseResult<Executed<LoyaltyAccount>> {
    let Award {
        account_id,
        booking_id,
        miles,
    } = command;
    on_open_account(app, call, account_id, |at| {
        LoyaltyCommand::AwardMiles(AwardMiles {
            booking_id,
            accrual: Accrual::Miles(miles),
            at,
        })
    })
    .await
}
