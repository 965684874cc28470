//! Revoke the miles awarded for a booking.

use super::on_open_account;
use crate::{Application, Call, Executed, UseCaseResult};
use skyfly_domain::ids::{BookingId, LoyaltyAccountId};
use skyfly_domain::loyalty::{LoyaltyAccount, LoyaltyCommand, RevokeMiles};

/// Take back the miles an account was awarded for a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revoke {
    /// The account.
    pub account_id: LoyaltyAccountId,
    /// The booking whose award is revoked.
    pub booking_id: BookingId,
}

/// Revokes the booking's award now; refused with `not_found` unless the account is open.
pub async fn revoke(
    app: &Application,
    call: &Call,
    command: Revoke,
) -> UseCaseResult<Executed<LoyaltyAccount>> {
    let Revoke {
        account_id,
        booking_id,
    } = command;
    on_open_account(app, call, account_id, |at| {
        LoyaltyCommand::RevokeMiles(RevokeMiles { booking_id, at })
    })
    .await
}
