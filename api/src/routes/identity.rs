//! Identity: register, log in, refresh (with rotation), log out, who am I.

use crate::auth::{self, Caller};
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::routes::{created, json_ok};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use skyfly_commands::identity::{self, RegisterAccount, SignedIn};
use skyfly_domain::identity::{Role, User};
use skyfly_domain::ids::{CommandId, LoyaltyAccountId};
use utoipa::ToSchema;
use uuid::Uuid;

/// A new customer account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// The account's email address, unique among accounts.
    #[schema(example = "ada@example.com")]
    pub email: String,
    /// The password, 8 to 128 characters.
    #[schema(example = "correct horse battery", min_length = 8, max_length = 128)]
    pub password: String,
    /// The customer's name.
    #[schema(example = "Ada Lovelace")]
    pub name: String,
}

/// The registered account.
#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterResponse {
    /// The new user's id.
    pub user_id: Uuid,
}

/// Credentials to sign in with.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The account's email address.
    pub email: String,
    /// The account's password.
    pub password: String,
}

/// The tokens of a signed-in session.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenPair {
    /// A JWT access token for the `Authorization: Bearer` header.
    pub access_token: String,
    /// An opaque token that gets a new pair from `/auth/token/refresh`.
    pub refresh_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

/// A refresh token to use or revoke.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The session's refresh token.
    pub refresh_token: String,
}

/// The signed-in user's profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// The user's id.
    pub user_id: Uuid,
    /// The user's email address.
    pub email: String,
    /// The user's name.
    pub name: String,
    /// `customer` or `staff`.
    #[schema(example = "customer")]
    pub role: String,
    /// When the account was registered.
    pub registered_at: DateTime<Utc>,
    /// Customers only.
    pub loyalty_account_id: Option<Uuid>,
}

impl TryFrom<&RegisterRequest> for RegisterAccount {
    type Error = ApiError;

    fn try_from(r: &RegisterRequest) -> Result<Self, ApiError> {
        Ok(RegisterAccount::parse(
            &r.email,
            &r.password,
            &r.name,
            Role::Customer,
        )?)
    }
}

#[utoipa::path(post, path = "/api/v1/auth/register", tag = "identity", request_body = RegisterRequest,
    responses((status = 201, body = RegisterResponse), (status = 409, body = Problem), (status = 422, body = Problem)))]
/// Registers a customer account, with a loyalty account.
pub async fn register(
    State(state): State<AppState>,
    body: JsonBody<RegisterRequest>,
) -> Result<Response, ApiError> {
    let command = RegisterAccount::try_from(&body.value)?;
    let done = identity::register(&state.app, CommandId(Uuid::now_v7()), command).await?;
    let body = RegisterResponse {
        user_id: done.user_id.0,
    };
    Ok(created("/api/v1/users/me", &body, done.position, None))
}

/// The token pair of a signed-in session: a fresh access token beside its refresh token.
fn token_pair(state: &AppState, session: SignedIn) -> Result<TokenPair, ApiError> {
    let access_token = state
        .jwt
        .issue(session.user_id, session.role, state.clock.now())?;
    Ok(TokenPair {
        access_token,
        refresh_token: session.refresh_token,
        token_type: "Bearer".into(),
        expires_in: auth::ACCESS_TOKEN_TTL.num_seconds(),
    })
}

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "identity", request_body = LoginRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = Problem)))]
/// Signs in with email and password, answering a token pair.
pub async fn login(
    State(state): State<AppState>,
    body: JsonBody<LoginRequest>,
) -> Result<Response, ApiError> {
    let r = &body.value;
    let session = identity::log_in(&state.app, &r.email, &r.password).await?;
    Ok(json_ok(&token_pair(&state, session)?))
}

#[utoipa::path(post, path = "/api/v1/auth/token/refresh", tag = "identity", request_body = RefreshRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = Problem)))]
/// Exchanges a refresh token for a new token pair.
pub async fn refresh(
    State(state): State<AppState>,
    body: JsonBody<RefreshRequest>,
) -> Result<Response, ApiError> {
    let session = identity::refresh(&state.app, &body.value.refresh_token).await?;
    Ok(json_ok(&token_pair(&state, session)?))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "identity", request_body = RefreshRequest,
    responses((status = 204, description = "the session's refresh tokens are revoked")))]
/// Revokes the session's refresh tokens, whatever the token.
pub async fn logout(
    State(state): State<AppState>,
    body: JsonBody<RefreshRequest>,
) -> Result<Response, ApiError> {
    identity::log_out(&state.app, &body.value.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(get, path = "/api/v1/users/me", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
/// The signed-in user's profile.
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let (user, _) = state
        .bus
        .load::<User>(caller.user_id)
        .await
        .map_err(ApiError::from)?;
    let profile = user
        .state()
        .cloned()
        .ok_or_else(|| ApiError::not_found("user"))?;
    Ok(json_ok(&Me {
        user_id: profile.user_id.0,
        email: profile.email.to_string(),
        name: profile.name,
        role: profile.role.as_str().to_owned(),
        registered_at: profile.registered_at,
        loyalty_account_id: (profile.role == Role::Customer)
            .then(|| LoyaltyAccountId::for_user(profile.user_id).0),
    }))
}
