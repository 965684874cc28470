//! Refresh a session: a valid refresh token is exchanged for a new one (rotation). A token that
//! was rotated away and comes back means someone kept a copy: the whole session ends.

use super::login::SignedIn;
use super::{REFRESH_TOKEN_TTL, new_refresh_token, token_digest};
use crate::{Application, RefusalKind, UseCaseError, UseCaseResult};
use skyfly_domain::identity::NewRefreshToken;

fn invalid_token() -> UseCaseError {
    UseCaseError::refused(
        RefusalKind::Unauthenticated,
        "invalid_refresh_token",
        None,
        "the refresh token is not valid",
    )
}

/// Rotates `refresh_token`: the signed-in session with its next refresh token.
pub async fn refresh(app: &Application, refresh_token: &str) -> UseCaseResult<SignedIn> {
    let digest = token_digest(refresh_token);
    let now = app.now();
    let Some(record) = app.credentials.refresh_token(&digest).await? else {
        return Err(invalid_token());
    };
    let family = record.family_id;
    let reused = move |replaced: bool| async move {
        if replaced {
            app.credentials.revoke_family(family, now).await?;
            tracing::warn!(%family, "refresh token reuse detected; session revoked");
        }
        Err::<SignedIn, _>(invalid_token())
    };
    if record.revoked_at.is_some() {
        return reused(record.replaced).await;
    }
    if record.expires_at <= now {
        return Err(invalid_token());
    }
    let (next_token, next_digest) = new_refresh_token();
    let next = NewRefreshToken {
        digest: next_digest,
        user_id: record.user_id,
        family_id: record.family_id,
        expires_at: now + REFRESH_TOKEN_TTL,
    };
    if !app
        .credentials
        .rotate_refresh_token(&digest, &next, now)
        .await?
    {
        // A concurrent refresh with the same token rotated it first: that is a reuse.
        return reused(true).await;
    }
    Ok(SignedIn {
        user_id: record.user_id,
        role: record.role,
        refresh_token: next_token,
    })
}
