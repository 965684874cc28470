//! Why an identity value or command is refused.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityError {
    #[error("a user with this e-mail address is already registered")]
    AlreadyRegistered,
    #[error("name must be 1 to 100 characters")]
    InvalidName,
    #[error("email is not a valid e-mail address")]
    InvalidEmail,
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
