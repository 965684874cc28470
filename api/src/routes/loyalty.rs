//! Loyalty commands (staff; the saga's process manager sends the same commands; the use cases are
//! `skyfly_commands::loyalty`), and the customer's own account.

use crate::auth::Staff;
use crate::error::{ApiError, Problem};
use crate::extract::{IdempotencyKey, IfMatch, JsonBody};
use crate::extract::{Path, Query};
use crate::idempotency;
use crate::routes::queries::{caught_up, positions, with_position};
use crate::routes::{executed, path_param};
use crate::state::AppState;
use axum::extract::State;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use skyfly_commands::loyalty::{self, Award, Redeem, Restore, Revoke};
use skyfly_commands::{Call, Executed};
use skyfly_domain::ids::{BookingId, LoyaltyAccountId};
use skyfly_domain::loyalty::LoyaltyAccount;
use skyfly_projections::documents::{self, DocumentModel};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// Miles to move for a booking (award or redeem).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilesRequest {
    /// The booking the miles are for.
    pub booking_id: Uuid,
    /// How many miles: 1 to 10,000,000 (`MAX_MILES`); an award must also leave the balance at
    /// most 1,000,000,000 (`balance_limit_exceeded`).
    #[schema(example = 1200, minimum = 1, maximum = 10_000_000)]
    pub miles: u64,
}

/// Names the booking whose miles are revoked or restored.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingRequestRef {
    /// The booking's id.
    pub booking_id: Uuid,
}

/// The next tier and the miles still to earn for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextTier {
    /// The next tier's name.
    pub tier: String,
    /// Miles still to earn in the last 365 days to reach it.
    pub miles_needed: u64,
}

/// A loyalty account: balance and tier at the engine's time.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    /// The account's id.
    pub account_id: Uuid,
    /// Miles available to redeem.
    pub balance: u64,
    /// `blue | silver | gold | platinum | executive_platinum`
    pub tier: String,
    /// Miles earned in the last 365 days, which set the tier.
    pub earned_last_365_days: u64,
    /// The next tier, or `null` at the top tier.
    pub next_tier: Option<NextTier>,
    /// The account aggregate's version (as in `ETag`).
    pub version: u64,
}

impl AccountView {
    /// The view of an opened account at `at`, or `None` if the account is not opened.
    pub fn of(account: &LoyaltyAccount, version: u64, at: DateTime<Utc>) -> Option<Self> {
        let info = account.account()?;
        let earned = account.earned_last_365_days(at);
        let tier = account.tier_at(at);
        Some(Self {
            account_id: info.account_id.0,
            balance: account.balance(),
            tier: tier.as_str().to_owned(),
            earned_last_365_days: earned,
            next_tier: tier.next().map(|next| NextTier {
                tier: next.as_str().to_owned(),
                miles_needed: next.threshold().saturating_sub(earned),
            }),
            version,
        })
    }
}

fn parse_account(raw: &str) -> Result<LoyaltyAccountId, ApiError> {
    path_param("account_id", raw, |s| {
        Uuid::parse_str(s).ok().map(LoyaltyAccountId)
    })
}

/// The account after a command, its tier and next tier at the engine's time.
fn answer(state: &AppState, done: &Executed<LoyaltyAccount>) -> Result<Response, ApiError> {
    let now = state.clock.now();
    executed(
        done,
        |account: &LoyaltyAccount, version| AccountView::of(account, version, now),
        || ApiError::not_found("loyalty account"),
    )
}

macro_rules! loyalty_command {
    ($name:ident, $path:literal, $body:ty, $summary:literal, |$v:ident, $id:ident| $command:expr) => {
        #[utoipa::path(post, path = $path, tag = "loyalty", summary = $summary, request_body = $body, security(("bearer" = [])),
            params(("account_id" = Uuid, Path), ("If-Match" = Option<String>, Header), ("Idempotency-Key" = Option<String>, Header)),
            responses((status = 200, body = AccountView), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
        /// A staff command on a loyalty account (award, revoke, redeem or restore miles), answering the account.
        pub async fn $name(
            State(state): State<AppState>,
            Staff(caller): Staff,
            Path(account_id): Path<String>,
            IdempotencyKey(key): IdempotencyKey,
            IfMatch(expected): IfMatch,
            body: JsonBody<$body>,
        ) -> Response {
            let (state, scope) = (&state, caller.user_id.to_string());
            let op = format!(concat!("POST /loyalty/{}/", stringify!($name)), account_id);
            idempotency::once(state, &scope, key, &op, &body.raw, |command_id| async move {
                let ($v, $id) = (&body.value, parse_account(&account_id)?);
                let command = $command;
                let call = Call::by(&caller, command_id).expecting(expected);
                answer(state, &loyalty::$name(&state.app, &call, command).await?)
            })
            .await
        }
    };
}

loyalty_command!(
    award,
    "/api/v1/loyalty/{account_id}/award",
    MilesRequest,
    "Awards miles to a loyalty account for a booking.",
    |v, account_id| Award {
        account_id,
        booking_id: BookingId(v.booking_id),
        miles: v.miles,
    }
);
loyalty_command!(
    revoke,
    "/api/v1/loyalty/{account_id}/revoke",
    BookingRequestRef,
    "Revokes the miles a booking earned.",
    |v, account_id| Revoke {
        account_id,
        booking_id: BookingId(v.booking_id),
    }
);
loyalty_command!(
    redeem,
    "/api/v1/loyalty/{account_id}/redeem",
    MilesRequest,
    "Redeems miles from a loyalty account for a booking.",
    |v, account_id| Redeem {
        account_id,
        booking_id: BookingId(v.booking_id),
        miles: v.miles,
    }
);
loyalty_command!(
    restore,
    "/api/v1/loyalty/{account_id}/restore",
    BookingRequestRef,
    "Restores the miles a booking redeemed.",
    |v, account_id| Restore {
        account_id,
        booking_id: BookingId(v.booking_id),
    }
);

// ---------------------------------------------------------------------------------------------
// The customer's own account.

/// A loyalty tier and what it takes.
#[derive(Debug, Serialize, ToSchema)]
pub struct TierView {
    /// The tier's name.
    pub tier: String,
    /// Miles earned in the last 365 days needed for the tier.
    pub threshold: u64,
    /// Earning multiplier, e.g. 1.25.
    pub multiplier: f64,
}

fn customer_account(caller: &crate::auth::Caller) -> Result<LoyaltyAccountId, ApiError> {
    if caller.is_staff() {
        return Err(ApiError::not_found("loyalty account"));
    }
    Ok(LoyaltyAccountId::for_user(caller.user_id))
}

/// Query parameters of the signed-in customer's loyalty account.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AccountQuery {
    /// Read-your-writes: wait (at most 5 s) until the read model reached this position.
    pub min_position: Option<u64>,
}

const ACCOUNTS: &str = <LoyaltyAccount as DocumentModel>::TABLE;

#[utoipa::path(get, path = "/api/v1/loyalty/account", tag = "loyalty", security(("bearer" = [])), params(AccountQuery),
    responses((status = 200, body = AccountView), (status = 404, body = Problem)))]
/// The signed-in customer's loyalty account.
pub async fn my_account(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Query(q): Query<AccountQuery>,
) -> Result<Response, ApiError> {
    let id = customer_account(&caller)?.to_string();
    let mut at = positions(&state, &[ACCOUNTS], q.min_position).await?;
    let mut found = documents::load::<LoyaltyAccount>(&state.pool, &id).await?;
    if found.is_none()
        && let Some(now) = caught_up(&state, &[ACCOUNTS], at).await?
    {
        at = now;
        found = documents::load::<LoyaltyAccount>(&state.pool, &id).await?;
    }
    // Tier and expiry depend on the time: computed at the engine's clock from the stored lots.
    let view = found
        .and_then(|d| AccountView::of(&d.state, d.version, state.clock.now()))
        .ok_or_else(|| ApiError::not_found("loyalty account"))?;
    Ok(with_position(crate::routes::json_ok(&view), at))
}

/// Query parameters of the loyalty history.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Page size, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<u64>,
    /// Read-your-writes: wait (at most 5 s) until the read model reached this position.
    pub min_position: Option<u64>,
}

/// One movement of miles on a loyalty account.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryEntry {
    /// `awarded | revoked | redeemed | restored | expired | opened`
    pub kind: String,
    /// Positive for miles in, negative for miles out.
    pub miles: i64,
    /// The booking the miles moved for, if any.
    pub booking_id: Option<Uuid>,
    /// When the miles moved.
    pub at: DateTime<Utc>,
    /// The global position of the event that moved them.
    pub global_position: u64,
}

/// A page of a loyalty account's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct History {
    /// The account's id.
    pub account_id: Uuid,
    /// Oldest first.
    pub entries: Vec<HistoryEntry>,
    /// The cursor of the next page, or `null` on the last page.
    pub next_cursor: Option<u64>,
    /// Whether another page follows (then `next_cursor` is where it starts).
    pub has_more: bool,
}

#[utoipa::path(get, path = "/api/v1/loyalty/history", tag = "loyalty", security(("bearer" = [])), params(HistoryQuery),
    responses((status = 200, body = History), (status = 404, body = Problem)))]
/// A page of the signed-in customer's loyalty history.
pub async fn my_history(
    State(state): State<AppState>,
    caller: crate::auth::Caller,
    Query(q): Query<HistoryQuery>,
) -> Result<Response, ApiError> {
    let id = customer_account(&caller)?;
    let limit = crate::routes::page_limit(q.limit, 100, 500)?;
    let names = [skyfly_projections::loyalty::NAME];
    let after = q.cursor.unwrap_or(0);
    let mut at = positions(&state, &names, q.min_position).await?;
    let mut page = skyfly_projections::loyalty::history(&state.pool, id.0, after, limit).await?;
    if page.rows.is_empty()
        && q.cursor.is_none()
        && let Some(now) = caught_up(&state, &names, at).await?
    {
        at = now;
        page = skyfly_projections::loyalty::history(&state.pool, id.0, after, limit).await?;
    }
    if page.rows.is_empty() && q.cursor.is_none() {
        return Err(ApiError::not_found("loyalty account"));
    }
    let entries = page
        .rows
        .into_iter()
        .map(|r| HistoryEntry {
            kind: r.kind,
            miles: r.miles,
            booking_id: r.booking_id,
            at: r.at,
            global_position: u64::try_from(r.global_position).unwrap_or(0),
        })
        .collect();
    Ok(with_position(
        crate::routes::json_ok(&History {
            account_id: id.0,
            entries,
            has_more: page.next_cursor.is_some(),
            next_cursor: page.next_cursor,
        }),
        at,
    ))
}

/// The loyalty tiers, their thresholds and multipliers.
#[utoipa::path(get, path = "/api/v1/loyalty/tiers", tag = "loyalty", responses((status = 200, body = Vec<TierView>)))]
pub async fn tiers() -> Response {
    let tiers: Vec<TierView> = skyfly_domain::loyalty::Tier::ALL
        .iter()
        .map(|t| TierView {
            tier: t.as_str().to_owned(),
            threshold: t.threshold(),
            multiplier: t.multiplier_percent() as f64 / 100.0,
        })
        .collect();
    crate::routes::json_ok(&tiers)
}
