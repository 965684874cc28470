//! Why a loyalty account refuses a command.

/// Why a loyalty account refuses a command; each refusal has a stable [`code`](Self::code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoyaltyError {
    /// The account's stream is already open for another account id or owner (`already_open`).
    #[error("the loyalty account is already open for another account id or owner")]
    AlreadyOpen,
    /// The account has not been opened (`not_found`).
    #[error("no such loyalty account")]
    NotOpen,
    /// An award or a redemption of 0 miles or of more than [`MAX_MILES`](super::MAX_MILES)
    /// (`invalid_miles`).
    #[error("miles must be 1 to {max}", max = super::MAX_MILES)]
    InvalidMiles,
    /// An award would take the balance past [`MAX_BALANCE`](super::MAX_BALANCE)
    /// (`balance_limit_exceeded`).
    #[error("the account holds {balance} miles; a balance is at most {limit}")]
    BalanceLimitExceeded {
        /// The balance before the award.
        balance: u64,
        /// The most an account may hold.
        limit: u64,
    },
    /// The account has fewer unexpired miles than the booking would redeem (`insufficient_miles`).
    #[error("{requested} miles requested, {balance} available")]
    InsufficientMiles {
        /// The miles that can be spent at that instant.
        balance: u64,
        /// The miles the booking would redeem.
        requested: u64,
    },
    /// The booking already redeemed another number of miles (`redemption_mismatch`).
    #[error("this booking already redeemed {redeemed} miles")]
    RedemptionMismatch {
        /// The miles the booking redeemed.
        redeemed: u64,
    },
}

impl LoyaltyError {
    /// A stable machine-readable code (part of the API: never change one).
    pub fn code(&self) -> &'static str {
        match self {
            LoyaltyError::AlreadyOpen => "already_open",
            LoyaltyError::NotOpen => "not_found",
            LoyaltyError::InvalidMiles => "invalid_miles",
            LoyaltyError::BalanceLimitExceeded { .. } => "balance_limit_exceeded",
            LoyaltyError::InsufficientMiles { .. } => "insufficient_miles",
            LoyaltyError::RedemptionMismatch { .. } => "redemption_mismatch",
        }
    }

    /// The request field the error is about, when it is about one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            LoyaltyError::InvalidMiles
            | LoyaltyError::InsufficientMiles { .. }
            | LoyaltyError::BalanceLimitExceeded { .. } => Some("miles"),
            LoyaltyError::AlreadyOpen
            | LoyaltyError::NotOpen
            | LoyaltyError::RedemptionMismatch { .. } => None,
        }
    }
}
