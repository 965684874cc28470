//! (being written)
use crate::error::ApiError;
use crate::state::AppState;
use skyfly_domain::ids::{CommandId, UserId};
pub async fn open_account(
    _s: &AppState,
    _u: UserId,
    _c: CommandId,
) -> Result<Option<u64>, ApiError> {
    Ok(None)
}
pub async fn award() {}
pub async fn revoke() {}
pub async fn redeem() {}
pub async fn restore() {}
