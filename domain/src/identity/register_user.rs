//! `RegisterUser`: a new user, customer or staff.

use super::events::IdentityEvent;
use super::{Email, IdentityError, Role, User};
use crate::ids::UserId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The longest display name accepted, in characters (after trimming).
pub const MAX_NAME_LEN: usize = 100;

/// Registers a new user, customer or staff.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RegisterUser {
    /// Normally [`UserId::for_email`]; the aggregate does not insist, so seeded accounts may differ.
    pub user_id: UserId,
    /// Their normalised e-mail address.
    pub email: Email,
    /// Display name; stored trimmed.
    pub name: String,
    /// What they sign in as: customers register over HTTP, staff from the command line.
    pub role: Role,
    /// When they register.
    pub at: DateTime<Utc>,
}

pub(super) fn decide(
    state: &User,
    cmd: &RegisterUser,
) -> Result<Vec<IdentityEvent>, IdentityError> {
    if state.is_registered() {
        return Err(IdentityError::AlreadyRegistered);
    }
    let name = cmd.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_LEN {
        return Err(IdentityError::InvalidName);
    }
    Ok(vec![IdentityEvent::UserRegistered {
        user_id: cmd.user_id,
        email: cmd.email.clone(),
        name: name.to_owned(),
        role: cmd.role,
        registered_at: cmd.at,
    }])
}
