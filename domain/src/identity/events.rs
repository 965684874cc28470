//! Events of the user aggregate. Stored type names are the variant names and never change.

use super::{Email, Role};
use crate::aggregate::DomainEvent;
use crate::ids::UserId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What happened to a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum IdentityEvent {
    /// A user registered. No credentials here: the password hash lives in the credentials table.
    UserRegistered {
        /// The user.
        user_id: UserId,
        /// Their normalised e-mail address.
        email: Email,
        /// Their display name, trimmed.
        name: String,
        /// What they sign in as.
        role: Role,
        /// When they registered.
        registered_at: DateTime<Utc>,
    },
}

impl DomainEvent for IdentityEvent {
    fn event_type(&self) -> &'static str {
        match self {
            IdentityEvent::UserRegistered { .. } => "UserRegistered",
        }
    }
}
