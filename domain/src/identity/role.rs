//! What a user may do: customers book for themselves, staff operate the engine.

use serde::{Deserialize, Serialize};
use std::fmt;

/// What a user signs in as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A customer, who books for themselves and has a loyalty account.
    Customer,
    /// A member of staff, who operates the engine (flights, faults, sagas, other customers'
    /// bookings).
    Staff,
}

impl Role {
    /// The role's stable name, `"customer"` or `"staff"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Customer => "customer",
            Role::Staff => "staff",
        }
    }

    /// The role named `s` (as [`Role::as_str`] spells it), or `None`.
    pub fn parse(s: &str) -> Option<Self> {
        [Role::Customer, Role::Staff]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
