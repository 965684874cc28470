//! `loyalty_history`: one row per movement of miles on an account, for the customer's statement.
//! (The account itself — balance, lots, tier — is the `loyalty_account` document model.)

use crate::Page;
use crate::runtime::Projection;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use skyfly_domain::event::RecordedEvent;
use skyfly_domain::loyalty::LoyaltyEvent;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The projection that keeps `loyalty_history`.
#[derive(Debug, Default, Clone, Copy)]
pub struct LoyaltyHistoryProjection;

/// The projection's name and its table.
pub const NAME: &str = "loyalty_history";

/// One row of `loyalty_history`: a movement of miles.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LoyaltyHistoryRow {
    /// The loyalty account the miles moved on.
    pub account_id: Uuid,
    /// The movement's event: the statement's order and its cursor.
    pub global_position: i64,
    /// `opened | awarded | revoked | redeemed | restored | expired` (see [`movement`]).
    pub kind: String,
    /// Negative for miles out.
    pub miles: i64,
    /// The booking the movement was for; `None` when the account was opened and for expiries.
    pub booking_id: Option<Uuid>,
    /// When the movement's event was recorded.
    pub at: DateTime<Utc>,
}

/// Up to `limit` movements of the account `account_id` after the position `after` (0: from the
/// start), oldest first; a page with more after it continues at its last row's
/// `global_position`.
pub async fn history(
    pool: &PgPool,
    account_id: Uuid,
    after: u64,
    limit: u32,
) -> Result<Page<LoyaltyHistoryRow>, sqlx::Error> {
    let rows = sqlx::query_as::<_, LoyaltyHistoryRow>(
        "SELECT account_id, global_position, kind, miles, booking_id, at FROM loyalty_history \
         WHERE account_id = $1 AND global_position > $2 ORDER BY global_position LIMIT $3",
    )
    .bind(account_id)
    .bind(crate::to_i64(after))
    .bind(crate::fetch_limit(limit))
    .fetch_all(pool)
    .await?;
    Ok(Page::of(rows, limit, |r| r.global_position))
}

/// What a movement was (`opened | awarded | revoked | redeemed | restored | expired`), its miles
/// (negative for miles out) and the booking it was for.
pub fn movement(event: &LoyaltyEvent) -> (&'static str, i64, Option<Uuid>) {
    use LoyaltyEvent as E;
    let signed = |m: &u64| i64::try_from(*m).unwrap_or(i64::MAX);
    match event {
        E::LoyaltyAccountOpened { .. } => ("opened", 0, None),
        E::MilesAwarded {
            booking_id, miles, ..
        } => ("awarded", signed(miles), Some(booking_id.0)),
        E::MilesRevoked {
            booking_id, miles, ..
        } => ("revoked", -signed(miles), Some(booking_id.0)),
        E::MilesRedeemed {
            booking_id, miles, ..
        } => ("redeemed", -signed(miles), Some(booking_id.0)),
        E::MilesRestored {
            booking_id, miles, ..
        } => ("restored", signed(miles), Some(booking_id.0)),
        E::MilesExpired { miles, .. } => ("expired", -signed(miles), None),
    }
}

#[async_trait]
impl Projection for LoyaltyHistoryProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn create(&self, schema: &str) -> Vec<String> {
        vec![format!(
            "CREATE TABLE {schema}.loyalty_history (
                account_id      uuid        NOT NULL,
                global_position bigint      NOT NULL,
                kind            text        NOT NULL,
                miles           bigint      NOT NULL,
                booking_id      uuid,
                at              timestamptz NOT NULL,
                PRIMARY KEY (account_id, global_position)
            )"
        )]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["loyalty_history"]
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        schema: &str,
        event: &RecordedEvent,
    ) -> Result<(), sqlx::Error> {
        let Some((id, e)) = crate::runtime::decode_in::<LoyaltyEvent>(event, "loyalty") else {
            return Ok(());
        };
        let Ok(id) = Uuid::parse_str(id) else {
            return Ok(());
        };
        let (kind, miles, booking) = movement(&e);
        sqlx::query(&format!(
            "INSERT INTO {schema}.loyalty_history (account_id, global_position, kind, miles, booking_id, at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING"
        ))
        .bind(id)
        .bind(i64::try_from(event.global_position).unwrap_or(i64::MAX))
        .bind(kind)
        .bind(miles)
        .bind(booking)
        .bind(event.recorded_at)
        .execute(tx)
        .await?;
        Ok(())
    }
}
