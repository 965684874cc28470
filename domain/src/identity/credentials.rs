//! The credentials port: password hashes and refresh tokens, kept beside the log, never in it.
//!
//! Adapters implement it (PostgreSQL in `skyfly-infra`, and an in-memory one for tests); the
//! application layer (`skyfly-commands`' identity use cases) holds the rules: who may register,
//! when a refresh token is valid, and that a rotated-away token coming back ends the session.

use super::Role;
use crate::ids::UserId;
use crate::store::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A user's stored credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user they belong to.
    pub user_id: UserId,
    /// The normalised e-mail address (unique).
    pub email: String,
    /// The password hash in PHC string format; never the password.
    pub password_hash: String,
    /// What the user signs in as.
    pub role: Role,
}

/// A stored refresh token, found by its digest (the token itself is never stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshTokenRecord {
    /// Whose session it belongs to.
    pub user_id: UserId,
    /// The user's role (from their credentials).
    pub role: Role,
    /// The session: every token rotated from one login shares it.
    pub family_id: Uuid,
    /// When it stops being valid.
    pub expires_at: DateTime<Utc>,
    /// When it was revoked (rotated away, logged out, or the session ended).
    pub revoked_at: Option<DateTime<Utc>>,
    /// Whether it was rotated away (another token replaced it).
    pub replaced: bool,
}

/// A refresh token to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefreshToken {
    /// The token's digest.
    pub digest: Vec<u8>,
    /// Whose session it belongs to.
    pub user_id: UserId,
    /// The session it belongs to.
    pub family_id: Uuid,
    /// When it stops being valid.
    pub expires_at: DateTime<Utc>,
}

/// Where credentials and refresh tokens live.
#[async_trait]
pub trait CredentialStore: Send + Sync + 'static {
    /// Stores `credentials` unless the user or the e-mail address has some already; `true` if
    /// stored.
    async fn insert(&self, credentials: &Credentials) -> Result<bool, StoreError>;
    /// The credentials registered under a (normalised) e-mail address.
    async fn by_email(&self, email: &str) -> Result<Option<Credentials>, StoreError>;
    /// The credentials of a user.
    async fn by_user(&self, user: UserId) -> Result<Option<Credentials>, StoreError>;
    /// Stores a new refresh token.
    async fn add_refresh_token(&self, token: &NewRefreshToken) -> Result<(), StoreError>;
    /// The refresh token stored under `digest`.
    async fn refresh_token(&self, digest: &[u8]) -> Result<Option<RefreshTokenRecord>, StoreError>;
    /// Atomically revokes the still-valid token `digest` as replaced by `next` and stores `next`;
    /// `false` (and nothing changed) if `digest` was no longer valid (a concurrent rotation won).
    async fn rotate_refresh_token(
        &self,
        digest: &[u8],
        next: &NewRefreshToken,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    /// Revokes every still-valid token of a session.
    async fn revoke_family(&self, family_id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError>;
    /// Revokes every still-valid token of the session `digest` belongs to (log out).
    async fn revoke_session_of(&self, digest: &[u8], at: DateTime<Utc>) -> Result<(), StoreError>;
}
