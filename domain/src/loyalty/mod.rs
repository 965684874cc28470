//! Loyalty accounts (`LoyaltyAccount`, stream `loyalty-<LoyaltyAccountId>`): miles earned, spent,
//! taken back and expired.
//!
//! Miles live in *lots*, one per day-and-instant of earning, each expiring 365 days after it was
//! earned. Every movement names the lot slices it touched (`LotSlice`), oldest first, so `evolve`
//! only replays arithmetic and the record shows exactly which miles were spent, given back or lost:
//! `balance = earned − revoked − redeemed + restored − expired`, always.
//!
//! Key decision: everything a booking did to the account is keyed by its booking id (one award, one
//! redemption), so the saga's steps and compensations are idempotent here, not only in the store.
//! Miles are `u64` and all arithmetic is integer: no floating point touches a balance.

mod award_miles;
mod error;
mod events;
mod expire_miles;
mod open_account;
mod redeem_miles;
mod revoke_miles;
mod state;
mod tier;

#[cfg(test)]
mod tests;

pub use award_miles::{Accrual, AwardMiles, MAX_BALANCE, MAX_MILES, fare_miles};
pub use error::LoyaltyError;
pub use events::{LotSlice, LoyaltyEvent};
pub use expire_miles::ExpireMiles;
pub use open_account::OpenAccount;
pub use redeem_miles::{RedeemMiles, RestoreMiles};
pub use revoke_miles::RevokeMiles;
pub use state::{
    ACCRUAL_VALIDITY, AccountInfo, Award, Lot, LoyaltyAccount, MileTotals, Redemption,
};
pub use tier::Tier;

use crate::aggregate::Aggregate;

command_enum! {
    /// Every command the loyalty account accepts.
    pub enum LoyaltyCommand {
        /// Open a customer's account.
        OpenAccount,
        /// Award a booking the miles it earned.
        AwardMiles,
        /// Take back what a booking earned.
        RevokeMiles,
        /// Spend miles on a booking's fare.
        RedeemMiles,
        /// Give back the miles a booking spent.
        RestoreMiles,
        /// Expire the miles of lots whose expiry has come.
        ExpireMiles,
    }
}

impl Aggregate for LoyaltyAccount {
    const CATEGORY: &'static str = "loyalty";
    type Event = LoyaltyEvent;
    type Command = LoyaltyCommand;
    type Error = LoyaltyError;

    fn evolve(&mut self, event: &LoyaltyEvent) {
        self.apply(event);
    }

    fn decide(&self, command: &LoyaltyCommand) -> Result<Vec<LoyaltyEvent>, LoyaltyError> {
        match command {
            LoyaltyCommand::OpenAccount(c) => open_account::decide(self, c),
            LoyaltyCommand::AwardMiles(c) => award_miles::decide(self, c),
            LoyaltyCommand::RevokeMiles(c) => revoke_miles::decide(self, c),
            LoyaltyCommand::RedeemMiles(c) => redeem_miles::decide_redeem(self, c),
            LoyaltyCommand::RestoreMiles(c) => redeem_miles::decide_restore(self, c),
            LoyaltyCommand::ExpireMiles(c) => expire_miles::decide(self, c),
        }
    }
}
