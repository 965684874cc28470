//! `booking_view`: one row per booking, for a customer's bookings and the staff's lists.

use crate::runtime::Projection;
use async_trait::async_trait;
use skyfly_domain::booking::BookingEvent;
use skyfly_domain::event::RecordedEvent;
use sqlx::PgConnection;

#[derive(Debug, Default, Clone, Copy)]
pub struct BookingView;

pub const NAME: &str = "booking_view";

#[async_trait]
impl Projection for BookingView {
    fn name(&self) -> &'static str {
        NAME
    }

    fn create(&self, schema: &str) -> Vec<String> {
        vec![
            format!(
                "CREATE TABLE {schema}.booking_view (
                    booking_id      uuid        PRIMARY KEY,
                    locator         text        NOT NULL,
                    customer_id     uuid        NOT NULL,
                    status          text        NOT NULL,
                    flight_id       text        NOT NULL,
                    cabin           text        NOT NULL,
                    passengers      jsonb       NOT NULL,
                    price_amount    bigint      NOT NULL,
                    currency        char(3)     NOT NULL,
                    miles_redeemed  bigint      NOT NULL,
                    ticket_numbers  jsonb       NOT NULL DEFAULT '[]',
                    failure_step    text,
                    failure_reason  text,
                    refunded_amount bigint,
                    requested_at    timestamptz NOT NULL,
                    placed_position bigint      NOT NULL,
                    updated_at      timestamptz NOT NULL
                )"
            ),
            format!("CREATE INDEX ON {schema}.booking_view (customer_id, placed_position DESC)"),
            format!("CREATE INDEX ON {schema}.booking_view (status, placed_position DESC)"),
            format!("CREATE INDEX ON {schema}.booking_view (flight_id, placed_position DESC)"),
        ]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["booking_view"]
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        schema: &str,
        event: &RecordedEvent,
    ) -> Result<(), sqlx::Error> {
        let Some((id, e)) = crate::runtime::decode_in::<BookingEvent>(event, "booking") else {
            return Ok(());
        };
        let Ok(id) = uuid::Uuid::parse_str(id) else {
            return Ok(());
        };
        let table = format!("{schema}.booking_view");
        let set =
            |sql: &str| format!("UPDATE {table} SET {sql}, updated_at = $2 WHERE booking_id = $1");
        let at = event.recorded_at;
        match e {
            BookingEvent::BookingRequested {
                locator,
                customer,
                flight_id,
                cabin,
                passengers,
                quote,
                redeem_miles,
                requested_at,
                ..
            } => {
                let passengers: Vec<_> = passengers
                    .iter()
                    .map(|p| serde_json::json!({ "first_name": p.first_name(), "last_name": p.last_name() }))
                    .collect();
                sqlx::query(&format!(
                    "INSERT INTO {table} (booking_id, locator, customer_id, status, flight_id, cabin, passengers, price_amount, \
                     currency, miles_redeemed, requested_at, placed_position, updated_at) \
                     VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT DO NOTHING"
                ))
                .bind(id)
                .bind(locator.to_string())
                .bind(customer.0)
                .bind(flight_id.to_string())
                .bind(cabin.as_str())
                .bind(serde_json::Value::Array(passengers))
                .bind(quote.total.amount)
                .bind(quote.total.currency.as_str())
                .bind(i64::try_from(redeem_miles).unwrap_or(i64::MAX))
                .bind(requested_at)
                .bind(i64::try_from(event.global_position).unwrap_or(i64::MAX))
                .bind(at)
                .execute(tx)
                .await?;
            }
            BookingEvent::BookingConfirmed { ticket_numbers, .. } => {
                sqlx::query(&set("status = 'confirmed', ticket_numbers = $3"))
                    .bind(id)
                    .bind(at)
                    .bind(serde_json::json!(ticket_numbers))
                    .execute(tx)
                    .await?;
            }
            BookingEvent::BookingRejected { reason, .. } => {
                sqlx::query(&set(
                    "status = 'rejected', failure_step = 'reserve_seats', failure_reason = $3",
                ))
                .bind(id)
                .bind(at)
                .bind(reason)
                .execute(tx)
                .await?;
            }
            BookingEvent::BookingFailed { step, reason, .. } => {
                sqlx::query(&set(
                    "status = 'failed', failure_step = $3, failure_reason = $4",
                ))
                .bind(id)
                .bind(at)
                .bind(step.as_str())
                .bind(reason)
                .execute(tx)
                .await?;
            }
            // Still confirmed until the cancellation completes (as the booking endpoint shows it).
            BookingEvent::BookingCancellationRequested { .. } => {}
            BookingEvent::BookingCancelled { refunded, .. } => {
                sqlx::query(&set("status = 'cancelled', refunded_amount = $3"))
                    .bind(id)
                    .bind(at)
                    .bind(refunded.amount)
                    .execute(tx)
                    .await?;
            }
        }
        Ok(())
    }
}
