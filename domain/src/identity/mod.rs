//! Users (`User`, stream `user-<UserId>`): who may sign in, and as what.
//!
//! Owns the value types of identity, each validated once in its constructor: [`Email`] (normalised
//! to lower case), [`Password`] (the policy; never printed) and [`Role`]. A user's id is derived
//! from their e-mail address ([`UserId::for_email`]), so one address can only ever register once:
//! the second registration lands on the same stream and is refused.
//!
//! Key decision: password hashes are not events. They live in a credentials table owned by the
//! adapters, so that the immutable log never holds a secret (not even a hashed one).

mod credentials;
mod email;
mod error;
mod events;
mod password;
mod register_user;
mod role;

#[cfg(test)]
mod tests;

pub use credentials::{CredentialStore, Credentials, NewRefreshToken, RefreshTokenRecord};
pub use email::{Email, MAX_EMAIL_LEN};
pub use error::IdentityError;
pub use events::IdentityEvent;
pub use password::{MAX_PASSWORD_LEN, MIN_PASSWORD_LEN, Password};
pub use register_user::{MAX_NAME_LEN, RegisterUser};
pub use role::Role;

use crate::aggregate::Aggregate;
use crate::ids::{SKYFLY_NAMESPACE, UserId};
use chrono::{DateTime, Utc};
use uuid::Uuid;

impl UserId {
    /// The user id of an e-mail address: UUIDv5 of `user/<email>` in the SkyFly namespace.
    pub fn for_email(email: &Email) -> Self {
        Self(Uuid::new_v5(
            &SKYFLY_NAMESPACE,
            format!("user/{}", email.as_str()).as_bytes(),
        ))
    }
}

command_enum! {
    /// Every command the user aggregate accepts.
    pub enum IdentityCommand {
        /// Register a new user.
        RegisterUser,
    }
}

/// A user. `Default` is an address nobody registered yet.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct User {
    state: Option<UserState>,
}

/// A registered user.
#[derive(Debug, Clone, PartialEq)]
pub struct UserState {
    /// The user.
    pub user_id: UserId,
    /// Their normalised e-mail address.
    pub email: Email,
    /// Their display name, trimmed.
    pub name: String,
    /// What they sign in as.
    pub role: Role,
    /// When they registered.
    pub registered_at: DateTime<Utc>,
}

impl User {
    /// The registered user, or `None` before registration.
    pub fn state(&self) -> Option<&UserState> {
        self.state.as_ref()
    }

    /// Whether the user has registered.
    pub fn is_registered(&self) -> bool {
        self.state.is_some()
    }
}

impl Aggregate for User {
    const CATEGORY: &'static str = "user";
    type Event = IdentityEvent;
    type Command = IdentityCommand;
    type Error = IdentityError;

    fn evolve(&mut self, event: &IdentityEvent) {
        match event {
            IdentityEvent::UserRegistered {
                user_id,
                email,
                name,
                role,
                registered_at,
            } => {
                self.state = Some(UserState {
                    user_id: *user_id,
                    email: email.clone(),
                    name: name.clone(),
                    role: *role,
                    registered_at: *registered_at,
                });
            }
        }
    }

    fn decide(&self, command: &IdentityCommand) -> Result<Vec<IdentityEvent>, IdentityError> {
        match command {
            IdentityCommand::RegisterUser(c) => register_user::decide(self, c),
        }
    }
}
