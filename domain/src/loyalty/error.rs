//! Why a loyalty account refuses a command.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoyaltyError {
    #[error("the loyalty account is already open for another account id or owner")]
    AlreadyOpen,
    #[error("no such loyalty account")]
    NotOpen,
    #[error("miles must be above zero")]
    InvalidMiles,
    #[error("{requested} miles requested, {balance} available")]
    InsufficientMiles { balance: u64, requested: u64 },
    #[error("this booking already redeemed {redeemed} miles")]
    RedemptionMismatch { redeemed: u64 },
}

impl LoyaltyError {
    /// A stable machine-readable code (part of the API: never change one).
    pub fn code(&self) -> &'static str {
        match self {
            LoyaltyError::AlreadyOpen => "already_open",
            LoyaltyError::NotOpen => "not_found",
            LoyaltyError::InvalidMiles => "invalid_miles",
            LoyaltyError::InsufficientMiles { .. } => "insufficient_miles",
            LoyaltyError::RedemptionMismatch { .. } => "redemption_mismatch",
        }
    }

    /// The request field the error is about, when it is about one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            LoyaltyError::InvalidMiles | LoyaltyError::InsufficientMiles { .. } => Some("miles"),
            LoyaltyError::AlreadyOpen
            | LoyaltyError::NotOpen
            | LoyaltyError::RedemptionMismatch { .. } => None,
        }
    }
}
