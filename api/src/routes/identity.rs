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

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(example = "ada@example.com")]
    pub email: String,
    #[schema(example = "correct horse battery", min_length = 8, max_length = 128)]
    pub password: String,
    #[schema(example = "Ada Lovelace")]
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegisterResponse {
    pub user_id: Uuid,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user_id: Uuid,
    pub email: String,
    pub name: String,
    #[schema(example = "customer")]
    pub role: String,
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
pub async fn refresh(
    State(state): State<AppState>,
    body: JsonBody<RefreshRequest>,
) -> Result<Response, ApiError> {
    let session = identity::refresh(&state.app, &body.value.refresh_token).await?;
    Ok(json_ok(&token_pair(&state, session)?))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "identity", request_body = RefreshRequest,
    responses((status = 204, description = "the session's refresh tokens are revoked")))]
pub async fn logout(
    State(state): State<AppState>,
    body: JsonBody<RefreshRequest>,
) -> Result<Response, ApiError> {
    identity::log_out(&state.app, &body.value.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(get, path = "/api/v1/users/me", tag = "identity", security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, body = Problem)))]
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
