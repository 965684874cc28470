//! `OpenAccount`: every customer gets one at registration.

use super::events::LoyaltyEvent;
use super::{LoyaltyAccount, LoyaltyError};
use crate::ids::{LoyaltyAccountId, UserId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Opens a customer's loyalty account; sent when the customer registers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OpenAccount {
    /// Normally [`LoyaltyAccountId::for_user`] of the owner.
    pub account_id: LoyaltyAccountId,
    /// The customer who owns the account.
    pub owner: UserId,
    /// When the account is opened.
    pub at: DateTime<Utc>,
}

pub(super) fn decide(
    state: &LoyaltyAccount,
    cmd: &OpenAccount,
) -> Result<Vec<LoyaltyEvent>, LoyaltyError> {
    match state.account() {
        // Registration retried: the account it opens is already there.
        Some(a) if a.account_id == cmd.account_id && a.owner == cmd.owner => Ok(vec![]),
        // The same stream for another account or owner: never silently hand miles to someone else.
        Some(_) => Err(LoyaltyError::AlreadyOpen),
        None => Ok(vec![LoyaltyEvent::LoyaltyAccountOpened {
            account_id: cmd.account_id,
            owner: cmd.owner,
            opened_at: cmd.at,
        }]),
    }
}
