//! Log in with e-mail and password (a new session), and log out (end the session).

use super::{REFRESH_TOKEN_TTL, new_refresh_token, token_digest, verify_password};
use crate::{Application, RefusalKind, UseCaseError, UseCaseResult};
use skyfly_domain::identity::{Email, NewRefreshToken, Role};
use skyfly_domain::ids::UserId;
use uuid::Uuid;

/// A hash to verify against when the e-mail is unknown, so that the answer takes as long as for a
/// known address with a wrong password.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2t5Zmx5LWR1bW15LXNhbHQ$0Q2oSu9EKvLcyfLgP16kq9XTnGhL2bMp3Yvl1KRz3nM";

/// A signed-in session: who, as what, and its new refresh token (shown once, stored as a digest).
#[derive(Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// Who signed in.
    pub user_id: UserId,
    /// As what.
    pub role: Role,
    /// The session's current refresh token.
    pub refresh_token: String,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn")
            .field("user_id", &self.user_id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// Starts a session of `user` in a new family of refresh tokens.
pub(super) async fn open_session(
    app: &Application,
    user_id: UserId,
    role: Role,
) -> UseCaseResult<SignedIn> {
    let (refresh_token, digest) = new_refresh_token();
    app.credentials
        .add_refresh_token(&NewRefreshToken {
            digest,
            user_id,
            family_id: Uuid::now_v7(),
            expires_at: app.now() + REFRESH_TOKEN_TTL,
        })
        .await?;
    Ok(SignedIn {
        user_id,
        role,
        refresh_token,
    })
}

/// Logs in. A wrong password and an unknown address are refused alike (`invalid_credentials`),
/// in the same time.
pub async fn log_in(app: &Application, email: &str, password: &str) -> UseCaseResult<SignedIn> {
    let email = Email::parse(email)
        .map(|e| e.as_str().to_owned())
        .unwrap_or_default();
    let found = app.credentials.by_email(&email).await?;
    let hash = found
        .as_ref()
        .map_or_else(|| DUMMY_HASH.to_owned(), |c| c.password_hash.clone());
    let ok = verify_password(password.to_owned(), hash)
        .await
        .unwrap_or(false);
    match found.filter(|_| ok) {
        Some(c) => open_session(app, c.user_id, c.role).await,
        None => Err(UseCaseError::refused(
            RefusalKind::Unauthenticated,
            "invalid_credentials",
            None,
            "wrong e-mail address or password",
        )),
    }
}

/// Logs out: revokes every refresh token of the session `refresh_token` belongs to. Unknown
/// tokens are ignored (logging out twice is fine).
pub async fn log_out(app: &Application, refresh_token: &str) -> UseCaseResult<()> {
    app.credentials
        .revoke_session_of(&token_digest(refresh_token), app.now())
        .await?;
    Ok(())
}
