//! Identity use cases: register, log in, refresh a session (rotation with reuse detection), log
//! out. Issuing access tokens (JWT) is the HTTP adapter's part; everything else is here.

mod login;
mod password;
mod refresh;
mod register;

#[cfg(test)]
mod tests;

pub use login::{SignedIn, log_in, log_out};
pub use password::{hash_password, verify_password};
pub use refresh::refresh;
pub use register::{RegisterAccount, Registered, register};

use crate::UseCaseError;
use chrono::Duration;
use skyfly_domain::identity::IdentityError;

/// How long a refresh token stays valid (each use rotates it).
pub const REFRESH_TOKEN_TTL: Duration = Duration::days(30);

fn invalid(e: IdentityError) -> UseCaseError {
    UseCaseError::invalid(e.field().unwrap_or("body"), e.code(), e)
}

/// A fresh opaque refresh token and the digest under which it is stored.
fn new_refresh_token() -> (String, Vec<u8>) {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let digest = token_digest(&token);
    (token, digest)
}

/// The digest a refresh token is stored under.
fn token_digest(token: &str) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(token.as_bytes()).to_vec()
}
