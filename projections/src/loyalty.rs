//! `loyalty_history`: one row per movement of miles on an account, for the customer's statement.
//! (The account itself — balance, lots, tier — is the `loyalty_account` document model.)

use crate::runtime::Projection;
use async_trait::async_trait;
use skyfly_domain::event::RecordedEvent;
use skyfly_domain::loyalty::LoyaltyEvent;
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Default, Clone, Copy)]
pub struct LoyaltyHistory;

pub const NAME: &str = "loyalty_history";

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
impl Projection for LoyaltyHistory {
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
