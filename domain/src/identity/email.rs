//! E-mail addresses, normalised so that one mailbox has one spelling (and one user id).

use super::IdentityError;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The longest address accepted (RFC 5321's path limit, less the angle brackets).
pub const MAX_EMAIL_LEN: usize = 254;

/// A syntactically plausible e-mail address: trimmed, lower case, `local@domain.tld`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Trims and lower-cases, then checks: at most 254 characters, no spaces, exactly one `@`, a
    /// non-empty local part, and a domain with a dot that neither starts nor ends it.
    ///
    /// Lower-casing the local part is not RFC-exact, but every mailbox provider SkyFly customers use
    /// treats it case-insensitively, and a user must not be able to register twice as `Ann@` and `ann@`.
    pub fn parse(s: &str) -> Result<Self, IdentityError> {
        let email = s.trim().to_lowercase();
        let invalid = || IdentityError::InvalidEmail;
        if email.chars().count() > MAX_EMAIL_LEN || email.chars().any(char::is_whitespace) {
            return Err(invalid());
        }
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && !domain.contains('@');
        if local.is_empty() || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(email))
    }

    /// The address as normalised (trimmed, lower case).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = IdentityError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> Self {
        e.0
    }
}
