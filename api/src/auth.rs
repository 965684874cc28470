//! Authentication at the HTTP edge: JWT access tokens (HS256) issued to a signed-in session and
//! checked on every request. Passwords and refresh tokens are the identity use cases' business
//! (`skyfly_commands::identity`).

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use skyfly_domain::identity::Role;
use skyfly_domain::ids::UserId;

/// How long an access token is valid after it is issued: 15 minutes.
pub const ACCESS_TOKEN_TTL: Duration = Duration::minutes(15);
const ISSUER: &str = "skyfly";

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: uuid::Uuid,
    role: Role,
    iss: String,
    iat: i64,
    exp: i64,
}

/// The HS256 keys that sign and verify access tokens (one shared secret).
#[derive(Clone)]
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
}

impl std::fmt::Debug for JwtKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtKeys(<secret>)")
    }
}

impl JwtKeys {
    /// Both keys from one shared secret.
    pub fn from_secret(secret: &[u8]) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
        }
    }

    /// A signed access token for `user` with `role`, issued at `now` and expiring after [`ACCESS_TOKEN_TTL`].
    pub fn issue(&self, user: UserId, role: Role, now: DateTime<Utc>) -> Result<String, ApiError> {
        let claims = Claims {
            sub: user.0,
            role,
            iss: ISSUER.to_owned(),
            iat: now.timestamp(),
            exp: (now + ACCESS_TOKEN_TTL).timestamp(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)
    }

    fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Caller, ApiError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        // Expiry is checked against the engine's clock (injected in tests), not the OS clock.
        validation.validate_exp = false;
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| ApiError::unauthorized("the access token is invalid"))?;
        if data.claims.exp <= now.timestamp() {
            return Err(ApiError::unauthorized("the access token has expired"));
        }
        Ok(Caller {
            user_id: UserId(data.claims.sub),
            role: data.claims.role,
        })
    }
}

/// The authenticated caller (the application layer's type; extracted from the bearer token).
pub use skyfly_commands::Caller;

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(header::AUTHORIZATION)
            .ok_or_else(|| ApiError::unauthorized("send Authorization: Bearer <access token>"))?;
        let token = header
            .to_str()
            .ok()
            .and_then(|h| {
                h.strip_prefix("Bearer ")
                    .or_else(|| h.strip_prefix("bearer "))
            })
            .ok_or_else(|| {
                ApiError::unauthorized("the Authorization header must be a Bearer token")
            })?;
        state.jwt.verify(token.trim(), state.clock.now())
    }
}

/// A caller who must be staff: `403` for customers.
#[derive(Debug, Clone, Copy)]
pub struct Staff(pub Caller);

impl FromRequestParts<AppState> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if !caller.is_staff() {
            return Err(ApiError::forbidden());
        }
        Ok(Staff(caller))
    }
}
