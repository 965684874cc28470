//! `payment_view`: one row per payment, for a booking's payments.

use crate::runtime::Projection;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use skyfly_domain::event::RecordedEvent;
use skyfly_domain::payment::PaymentEvent;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The projection that keeps `payment_view`.
#[derive(Debug, Default, Clone, Copy)]
pub struct PaymentProjection;

/// The projection's name and its table.
pub const NAME: &str = "payment_view";

/// One row of `payment_view`. Amounts are in minor units of `currency`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PaymentRow {
    /// The payment's id (its stream is `payment-<id>`).
    pub payment_id: Uuid,
    /// The booking the payment is for.
    pub booking_id: Uuid,
    /// `created | authorized | captured | partially_refunded | refunded | voided | declined`
    pub status: String,
    /// The amount the payment was created for; an authorization covers all of it.
    pub amount: i64,
    /// ISO 4217 code (`char(3)`).
    pub currency: String,
    /// The amount captured (0 until the payment is captured).
    pub captured: i64,
    /// The total refunded so far (0 if nothing was).
    pub refunded: i64,
    /// The card's brand (`visa | mastercard | amex | discover | unknown`); `None` until an
    /// authorization or a decline names the card.
    pub card_brand: Option<String>,
    /// The card's last four digits; `None` until an authorization or a decline names the card.
    pub card_last4: Option<String>,
    /// Why the card was declined (a stable code, e.g. `card_declined`); `None` unless declined.
    pub decline_reason: Option<String>,
    /// When `PaymentCreated` was recorded.
    pub created_at: DateTime<Utc>,
    /// When the last event applied to the row was recorded.
    pub updated_at: DateTime<Utc>,
}

/// The payments of the booking `booking_id`, oldest first.
pub async fn by_booking(pool: &PgPool, booking_id: Uuid) -> Result<Vec<PaymentRow>, sqlx::Error> {
    sqlx::query_as(
        "SELECT payment_id, booking_id, status, amount, currency, captured, refunded, card_brand, card_last4, \
         decline_reason, created_at, updated_at FROM payment_view WHERE booking_id = $1 ORDER BY created_at",
    )
    .bind(booking_id)
    .fetch_all(pool)
    .await
}

fn brand(card: &skyfly_domain::card::CardSummary) -> String {
    serde_json::to_value(card.brand)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

#[async_trait]
impl Projection for PaymentProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn create(&self, schema: &str) -> Vec<String> {
        vec![
            format!(
                "CREATE TABLE {schema}.payment_view (
                    payment_id     uuid        PRIMARY KEY,
                    booking_id     uuid        NOT NULL,
                    status         text        NOT NULL,
                    amount         bigint      NOT NULL,
                    currency       char(3)     NOT NULL,
                    captured       bigint      NOT NULL DEFAULT 0,
                    refunded       bigint      NOT NULL DEFAULT 0,
                    card_brand     text,
                    card_last4     text,
                    decline_reason text,
                    created_at     timestamptz NOT NULL,
                    updated_at     timestamptz NOT NULL
                )"
            ),
            format!("CREATE INDEX ON {schema}.payment_view (booking_id)"),
        ]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["payment_view"]
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        schema: &str,
        event: &RecordedEvent,
    ) -> Result<(), sqlx::Error> {
        let Some((id, e)) = crate::runtime::decode_in::<PaymentEvent>(event, "payment") else {
            return Ok(());
        };
        let Ok(id) = uuid::Uuid::parse_str(id) else {
            return Ok(());
        };
        let table = format!("{schema}.payment_view");
        let at = event.recorded_at;
        let create = format!(
            "INSERT INTO {table} (payment_id, booking_id, status, amount, currency, created_at, updated_at) \
             VALUES ($1, $2, 'created', $3, $4, $5, $5) ON CONFLICT DO NOTHING"
        );
        let authorized = format!(
            "UPDATE {table} SET status = 'authorized', card_brand = $3, card_last4 = $4, updated_at = $2 WHERE payment_id = $1"
        );
        let declined = format!(
            "UPDATE {table} SET status = 'declined', decline_reason = $3, card_brand = coalesce($4, card_brand), \
             card_last4 = coalesce($5, card_last4), updated_at = $2 WHERE payment_id = $1"
        );
        let captured = format!(
            "UPDATE {table} SET status = 'captured', captured = $3, updated_at = $2 WHERE payment_id = $1"
        );
        let voided =
            format!("UPDATE {table} SET status = 'voided', updated_at = $2 WHERE payment_id = $1");
        let refunded = format!(
            "UPDATE {table} SET refunded = $3, status = CASE WHEN $3 >= captured THEN 'refunded' ELSE 'partially_refunded' END, \
             updated_at = $2 WHERE payment_id = $1"
        );
        let query = match e {
            PaymentEvent::PaymentCreated {
                booking_id, amount, ..
            } => sqlx::query(&create)
                .bind(id)
                .bind(booking_id.0)
                .bind(amount.amount)
                .bind(amount.currency.as_str().to_owned())
                .bind(at),
            PaymentEvent::PaymentAuthorized { card, .. } => sqlx::query(&authorized)
                .bind(id)
                .bind(at)
                .bind(brand(&card))
                .bind(card.last4),
            PaymentEvent::PaymentDeclined { reason, card, .. } => sqlx::query(&declined)
                .bind(id)
                .bind(at)
                .bind(reason)
                .bind(card.as_ref().map(brand))
                .bind(card.map(|c| c.last4)),
            PaymentEvent::PaymentCaptured { amount, .. } => {
                sqlx::query(&captured).bind(id).bind(at).bind(amount.amount)
            }
            PaymentEvent::PaymentVoided { .. } => sqlx::query(&voided).bind(id).bind(at),
            PaymentEvent::PaymentRefunded { refunded_total, .. } => sqlx::query(&refunded)
                .bind(id)
                .bind(at)
                .bind(refunded_total.amount),
        };
        query.execute(tx).await?;
        Ok(())
    }
}
