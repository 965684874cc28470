//! Password hashing with argon2id (default parameters), off the async runtime.

use crate::{UseCaseError, UseCaseResult};
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Hashes a password (PHC string format).
pub async fn hash_password(password: String) -> UseCaseResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .map_err(|e| UseCaseError::Internal(e.to_string()))?
    .map_err(|e| UseCaseError::Internal(e.to_string()))
}

/// Whether `password` matches the stored `hash`.
pub async fn verify_password(password: String, hash: String) -> UseCaseResult<bool> {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).map(|h| {
            argon2::Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
    })
    .await
    .map_err(|e| UseCaseError::Internal(e.to_string()))?
    .map_err(|e| UseCaseError::Internal(e.to_string()))
}
