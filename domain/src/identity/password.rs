//! The password policy. A `Password` is only ever on its way to the hasher.

use super::IdentityError;
use std::fmt;

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_LEN: usize = 8;
/// The longest password accepted, in characters.
pub const MAX_PASSWORD_LEN: usize = 128;

/// A password that meets the policy: 8 to 128 characters (not bytes). Neither `Debug` nor anything
/// else prints it, and it has no `Serialize`; [`Password::expose`] is the one way to read it.
#[derive(Clone)]
pub struct Password(String);

impl Password {
    /// Checks the policy: [`MIN_PASSWORD_LEN`] to [`MAX_PASSWORD_LEN`] characters (not bytes),
    /// nothing else.
    pub fn parse(s: &str) -> Result<Self, IdentityError> {
        let len = s.chars().count();
        if (MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&len) {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdentityError::InvalidPassword)
        }
    }

    /// The password itself, for the hasher and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}
