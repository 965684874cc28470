//! Identity: register, log in, refresh (with rotation), log out, who am I.

use crate::auth::{self, Caller, REFRESH_TOKEN_TTL};
use crate::error::{ApiError, Problem};
use crate::extract::JsonBody;
use crate::routes::{command_metadata, created, json_ok};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use skyfly_commands::{CommandError, Envelope};
use skyfly_domain::identity::{
    Email, IdentityCommand, IdentityError, Password, RegisterUser, Role, User,
};
use skyfly_domain::ids::{CommandId, LoyaltyAccountId, UserId};
use sqlx::Row;
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

/// Registers `email` with `role`: the credentials row first (it carries the unique e-mail), then
/// the `UserRegistered` event. A retry with the same password after a crash between the two
/// completes the registration; anyone else gets `409 email_taken`.
pub async fn register_user(
    state: &AppState,
    email: &str,
    password: &str,
    name: &str,
    role: Role,
    command_id: CommandId,
) -> Result<(UserId, Option<u64>), ApiError> {
    let email = Email::parse(email).map_err(field_error)?;
    let password = Password::parse(password).map_err(field_error)?;
    let name_ok = {
        let n = name.trim();
        !n.is_empty() && n.chars().count() <= skyfly_domain::identity::MAX_NAME_LEN
    };
    if !name_ok {
        return Err(field_error(IdentityError::InvalidName));
    }
    let user_id = UserId::for_email(&email);
    let hash = auth::hash_password(password.expose().to_owned()).await?;
    let inserted = sqlx::query(
        "INSERT INTO credentials (user_id, email, password_hash, role) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(user_id.0)
    .bind(email.as_str())
    .bind(&hash)
    .bind(auth::role_name(role))
    .execute(&state.pool)
    .await?
    .rows_affected()
        == 1;
    if !inserted {
        let (user, _) = state
            .bus
            .load::<User>(user_id)
            .await
            .map_err(ApiError::from)?;
        let stored: Option<String> =
            sqlx::query_scalar("SELECT password_hash FROM credentials WHERE user_id = $1")
                .bind(user_id.0)
                .fetch_optional(&state.pool)
                .await?;
        let same_person = match stored {
            Some(h) => auth::verify_password(password.expose().to_owned(), h).await?,
            None => false,
        };
        if user.is_registered() || !same_person {
            return Err(email_taken());
        }
    }
    let command = IdentityCommand::RegisterUser(RegisterUser {
        user_id,
        email,
        name: name.to_owned(),
        role,
        at: state.clock.now(),
    });
    let metadata = command_metadata(
        command_id,
        skyfly_domain::event::Actor::User {
            user_id: user_id.0,
            role: auth::role_name(role).to_owned(),
        },
    );
    let done = state
        .bus
        .execute::<User>(user_id, Envelope::new(command, metadata))
        .await;
    let position = match done {
        Ok(done) => done.position,
        Err(CommandError::Rejected(IdentityError::AlreadyRegistered)) => return Err(email_taken()),
        Err(e) => return Err(e.into()),
    };
    let position = match role {
        Role::Customer => crate::routes::loyalty::open_account(state, user_id, command_id)
            .await?
            .or(position),
        Role::Staff => position,
    };
    Ok((user_id, position))
}

fn email_taken() -> ApiError {
    ApiError::field(
        "email",
        "email_taken",
        "an account with this e-mail address already exists",
    )
    .with_status(StatusCode::CONFLICT)
}

fn field_error(e: IdentityError) -> ApiError {
    ApiError::field(e.field().unwrap_or("body"), e.code(), e.to_string())
}

#[utoipa::path(post, path = "/api/v1/auth/register", tag = "identity", request_body = RegisterRequest,
    responses((status = 201, body = RegisterResponse), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn register(
    State(state): State<AppState>,
    body: JsonBody<RegisterRequest>,
) -> Result<Response, ApiError> {
    let r = &body.value;
    let (user_id, position) = register_user(
        &state,
        &r.email,
        &r.password,
        &r.name,
        Role::Customer,
        CommandId(Uuid::now_v7()),
    )
    .await?;
    Ok(created(
        "/api/v1/users/me",
        &RegisterResponse { user_id: user_id.0 },
        position,
        None,
    ))
}

/// A hash to verify against when the e-mail is unknown, so that the answer takes as long as for a
/// known address with a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2t5Zmx5LWR1bW15LXNhbHQ$0Q2oSu9EKvLcyfLgP16kq9XTnGhL2bMp3Yvl1KRz3nM";

#[utoipa::path(post, path = "/api/v1/auth/login", tag = "identity", request_body = LoginRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = Problem)))]
pub async fn login(
    State(state): State<AppState>,
    body: JsonBody<LoginRequest>,
) -> Result<Response, ApiError> {
    let email = Email::parse(&body.value.email)
        .map(|e| e.as_str().to_owned())
        .unwrap_or_default();
    let row = sqlx::query("SELECT user_id, password_hash, role FROM credentials WHERE email = $1")
        .bind(&email)
        .fetch_optional(&state.pool)
        .await?;
    let (user, hash, role) = match &row {
        Some(r) => (
            Some(r.try_get::<Uuid, _>("user_id")?),
            r.try_get::<String, _>("password_hash")?,
            r.try_get::<String, _>("role")?,
        ),
        None => (None, DUMMY_HASH.to_owned(), String::new()),
    };
    let ok = auth::verify_password(body.value.password.clone(), hash)
        .await
        .unwrap_or(false);
    let Some(user) = user.filter(|_| ok) else {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
            "wrong e-mail address or password",
        ));
    };
    let role = if role == "staff" {
        Role::Staff
    } else {
        Role::Customer
    };
    let pair = issue_pair(&state, UserId(user), role, Uuid::now_v7()).await?;
    Ok(json_ok(&pair))
}

async fn issue_pair(
    state: &AppState,
    user: UserId,
    role: Role,
    family: Uuid,
) -> Result<TokenPair, ApiError> {
    let now = state.clock.now();
    let access_token = state.jwt.issue(user, role, now)?;
    let (refresh_token, digest) = auth::new_refresh_token();
    sqlx::query("INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(&digest)
        .bind(user.0)
        .bind(family)
        .bind(now + REFRESH_TOKEN_TTL)
        .execute(&state.pool)
        .await?;
    Ok(TokenPair {
        access_token,
        refresh_token,
        token_type: "Bearer".into(),
        expires_in: auth::ACCESS_TOKEN_TTL.num_seconds(),
    })
}

#[utoipa::path(post, path = "/api/v1/auth/token/refresh", tag = "identity", request_body = RefreshRequest,
    responses((status = 200, body = TokenPair), (status = 401, body = Problem)))]
pub async fn refresh(
    State(state): State<AppState>,
    body: JsonBody<RefreshRequest>,
) -> Result<Response, ApiError> {
    let digest = auth::token_digest(&body.value.refresh_token);
    let now = state.clock.now();
    let mut tx = state.pool.begin().await?;
    let row = sqlx::query(
        "SELECT t.user_id, t.family_id, t.expires_at, t.revoked_at, t.replaced_by, c.role \
         FROM refresh_tokens t JOIN credentials c USING (user_id) WHERE t.token_hash = $1 FOR UPDATE OF t",
    )
    .bind(&digest)
    .fetch_optional(&mut *tx)
    .await?;
    let invalid = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_refresh_token",
            "the refresh token is not valid",
        )
    };
    let Some(row) = row else {
        return Err(invalid());
    };
    let family: Uuid = row.try_get("family_id")?;
    let revoked: Option<DateTime<Utc>> = row.try_get("revoked_at")?;
    let replaced: Option<Vec<u8>> = row.try_get("replaced_by")?;
    if revoked.is_some() {
        if replaced.is_some() {
            // A rotated-away token came back: someone kept a copy. End the whole session.
            sqlx::query("UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL")
                .bind(family)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            tracing::warn!(%family, "refresh token reuse detected; session revoked");
        }
        return Err(invalid());
    }
    let expires: DateTime<Utc> = row.try_get("expires_at")?;
    if expires <= now {
        return Err(invalid());
    }
    let user = UserId(row.try_get("user_id")?);
    let role = if row.try_get::<String, _>("role")? == "staff" {
        Role::Staff
    } else {
        Role::Customer
    };
    let access_token = state.jwt.issue(user, role, now)?;
    let (refresh_token, next) = auth::new_refresh_token();
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $2, replaced_by = $3 WHERE token_hash = $1",
    )
    .bind(&digest)
    .bind(now)
    .bind(&next)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO refresh_tokens (token_hash, user_id, family_id, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(&next)
        .bind(user.0)
        .bind(family)
        .bind(now + REFRESH_TOKEN_TTL)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(json_ok(&TokenPair {
        access_token,
        refresh_token,
        token_type: "Bearer".into(),
        expires_in: auth::ACCESS_TOKEN_TTL.num_seconds(),
    }))
}

#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "identity", request_body = RefreshRequest,
    responses((status = 204, description = "the session's refresh tokens are revoked")))]
pub async fn logout(
    State(state): State<AppState>,
    body: JsonBody<RefreshRequest>,
) -> Result<Response, ApiError> {
    let digest = auth::token_digest(&body.value.refresh_token);
    sqlx::query(
        "UPDATE refresh_tokens SET revoked_at = $2 WHERE revoked_at IS NULL AND family_id = \
         (SELECT family_id FROM refresh_tokens WHERE token_hash = $1)",
    )
    .bind(&digest)
    .bind(state.clock.now())
    .execute(&state.pool)
    .await?;
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
        role: auth::role_name(profile.role).to_owned(),
        registered_at: profile.registered_at,
        loyalty_account_id: (profile.role == Role::Customer)
            .then(|| LoyaltyAccountId::for_user(profile.user_id).0),
    }))
}
