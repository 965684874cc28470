//! Why an identity value or command is refused.

/// Why an identity value or command is refused; each refusal has a stable [`code`](Self::code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    /// The user is already registered: the user id comes from the e-mail address, so an address
    /// registers once (`already_registered`).
    #[error("a user with this e-mail address is already registered")]
    AlreadyRegistered,
    /// The name is empty or longer than [`MAX_NAME_LEN`](super::MAX_NAME_LEN) characters once
    /// trimmed (`invalid_name`).
    #[error("name must be 1 to 100 characters")]
    InvalidName,
    /// The e-mail address is not a plausible address (`invalid_email`).
    #[error("email is not a valid e-mail address")]
    InvalidEmail,
    /// The password is shorter than [`MIN_PASSWORD_LEN`](super::MIN_PASSWORD_LEN) or longer than
    /// [`MAX_PASSWORD_LEN`](super::MAX_PASSWORD_LEN) characters (`invalid_password`).
    #[error("password must be 8 to 128 characters")]
    InvalidPassword,
}

impl IdentityError {
    /// A stable machine-readable code (part of the API: never change one).
    pub fn code(&self) -> &'static str {
        match self {
            IdentityError::AlreadyRegistered => "already_registered",
            IdentityError::InvalidName => "invalid_name",
            IdentityError::InvalidEmail => "invalid_email",
            IdentityError::InvalidPassword => "invalid_password",
        }
    }

    /// The request field the error is about.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            IdentityError::AlreadyRegistered | IdentityError::InvalidEmail => Some("email"),
            IdentityError::InvalidName => Some("name"),
            IdentityError::InvalidPassword => Some("password"),
        }
    }
}
