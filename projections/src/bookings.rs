//! `booking_view`: one row per booking, for a customer's bookings and the staff's lists.

use crate::Page;
use crate::runtime::Projection;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use skyfly_domain::booking::BookingEvent;
use skyfly_domain::event::RecordedEvent;
use skyfly_domain::saga::BookingSaga;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The projection that keeps `booking_view`: a booking's requests and outcomes, and the miles it
/// earned (from the loyalty events).
#[derive(Debug, Default, Clone, Copy)]
pub struct BookingProjection;

/// The projection's name and its table.
pub const NAME: &str = "booking_view";

/// One row of `booking_view`.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct BookingRow {
    /// The booking's id (its stream is `booking-<id>`).
    pub booking_id: Uuid,
    /// The six-character booking reference, derived from the booking id.
    pub locator: String,
    /// The user id of the customer the booking is for.
    pub customer_id: Uuid,
    /// `pending | confirmed | rejected | failed | cancelled` (a booking whose cancellation is
    /// under way is still `confirmed`).
    pub status: String,
    /// The flight instance booked, `<flight number>-<YYYY-MM-DD>`.
    pub flight_id: String,
    /// The cabin booked: `economy | premium | business | first`.
    pub cabin: String,
    /// `[{ "first_name": …, "last_name": … }]`
    pub passengers: serde_json::Value,
    /// The quote's total, in minor units of `currency`.
    pub price_amount: i64,
    /// ISO 4217 code (`char(3)`).
    pub currency: String,
    /// Miles the customer asked to redeem toward the fare when placing the booking (1 mile =
    /// 1 cent).
    pub miles_redeemed: i64,
    /// Miles the booking earned, net of what was revoked.
    pub miles_awarded: i64,
    /// `["…"]`
    pub ticket_numbers: serde_json::Value,
    /// The saga step that failed (`reserve_seats` for a rejection); `None` unless rejected or
    /// failed.
    pub failure_step: Option<String>,
    /// The stable code of the refusal that rejected or failed the booking; `None` unless rejected or
    /// failed.
    pub failure_reason: Option<String>,
    /// What the cancellation refunded, in minor units of `currency`; `None` until the booking is
    /// cancelled.
    pub refunded_amount: Option<i64>,
    /// The booking stream's version the row reflects.
    pub version: i64,
    /// When the booking was placed.
    pub requested_at: DateTime<Utc>,
    /// Global position of `BookingRequested`: the list order and its cursor.
    pub placed_position: i64,
    /// When the last booking event applied to the row was recorded.
    pub updated_at: DateTime<Utc>,
}

/// A booking row with the document of its saga (`saga_view`), as one booking is shown.
#[derive(Debug, Clone)]
pub struct BookingDetailRow {
    /// The booking's row in `booking_view`.
    pub booking: BookingRow,
    /// The saga's state, if its document exists yet.
    pub saga: Option<BookingSaga>,
}

/// What [`list`] selects: every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookingFilter {
    /// Only the bookings of this customer.
    pub customer_id: Option<Uuid>,
    /// Only the bookings in this status (a value of [`BookingRow::status`]).
    pub status: Option<String>,
    /// Only the bookings on this flight instance.
    pub flight_id: Option<String>,
    /// Only bookings placed before this position: the `next_cursor` of the previous page.
    pub before: Option<u64>,
    /// The page size (the caller bounds it).
    pub limit: u32,
}

const COLUMNS: &str = "b.booking_id, b.locator, b.customer_id, b.status, b.flight_id, b.cabin, b.passengers, \
     b.price_amount, b.currency, b.miles_redeemed, b.miles_awarded, b.ticket_numbers, b.failure_step, \
     b.failure_reason, b.refunded_amount, b.version, b.requested_at, b.placed_position, b.updated_at";

#[derive(sqlx::FromRow)]
struct Joined {
    #[sqlx(flatten)]
    booking: BookingRow,
    saga: Option<serde_json::Value>,
}

/// The booking `id` with its saga's document, read in one statement; `None` if the read model
/// has no such booking.
pub async fn get(pool: &PgPool, id: Uuid) -> Result<Option<BookingDetailRow>, sqlx::Error> {
    let Some(row) = sqlx::query_as::<_, Joined>(&format!(
        "SELECT {COLUMNS}, s.doc AS saga \
         FROM booking_view b LEFT JOIN saga_view s ON s.id = b.booking_id::text WHERE b.booking_id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let saga = row
        .saga
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    Ok(Some(BookingDetailRow {
        booking: row.booking,
        saga,
    }))
}

/// Bookings that pass `filter`, newest placed first; a page with more after it continues at its
/// last row's `placed_position`.
pub async fn list(pool: &PgPool, filter: &BookingFilter) -> Result<Page<BookingRow>, sqlx::Error> {
    let rows = sqlx::query_as::<_, BookingRow>(&format!(
        "SELECT {COLUMNS} FROM booking_view b \
         WHERE ($1::uuid IS NULL OR b.customer_id = $1) AND ($2::text IS NULL OR b.status = $2) \
         AND ($3::text IS NULL OR b.flight_id = $3) AND ($4::bigint IS NULL OR b.placed_position < $4) \
         ORDER BY b.placed_position DESC LIMIT $5"
    ))
    .bind(filter.customer_id)
    .bind(&filter.status)
    .bind(&filter.flight_id)
    .bind(filter.before.map(crate::to_i64))
    .bind(crate::fetch_limit(filter.limit))
    .fetch_all(pool)
    .await?;
    Ok(Page::of(rows, filter.limit, |r| r.placed_position))
}

#[async_trait]
impl Projection for BookingProjection {
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
                    miles_awarded   bigint      NOT NULL DEFAULT 0,
                    version         bigint      NOT NULL,
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
        if let Some((_, e)) =
            crate::runtime::decode_in::<skyfly_domain::loyalty::LoyaltyEvent>(event, "loyalty")
        {
            return miles(tx, schema, &e).await;
        }
        let Some((id, e)) = crate::runtime::decode_in::<BookingEvent>(event, "booking") else {
            return Ok(());
        };
        let Ok(id) = uuid::Uuid::parse_str(id) else {
            return Ok(());
        };
        let table = format!("{schema}.booking_view");
        let version = i64::try_from(event.stream_version).unwrap_or(i64::MAX);
        let at = event.recorded_at;
        // Every change moves the version and `updated_at`: $1 booking, $2 time, $3 version.
        let set = |sql: &str| {
            format!("UPDATE {table} SET {sql}updated_at = $2, version = $3 WHERE booking_id = $1")
        };
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
                     currency, miles_redeemed, requested_at, placed_position, updated_at, version) \
                     VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING"
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
                .bind(version)
                .execute(tx)
                .await?;
            }
            BookingEvent::BookingConfirmed { ticket_numbers, .. } => {
                sqlx::query(&set("status = 'confirmed', ticket_numbers = $4, "))
                    .bind(id)
                    .bind(at)
                    .bind(version)
                    .bind(serde_json::json!(ticket_numbers))
                    .execute(tx)
                    .await?;
            }
            BookingEvent::BookingRejected { reason, .. } => {
                sqlx::query(&set(
                    "status = 'rejected', failure_step = 'reserve_seats', failure_reason = $4, ",
                ))
                .bind(id)
                .bind(at)
                .bind(version)
                .bind(reason)
                .execute(tx)
                .await?;
            }
            BookingEvent::BookingFailed { step, reason, .. } => {
                sqlx::query(&set(
                    "status = 'failed', failure_step = $4, failure_reason = $5, ",
                ))
                .bind(id)
                .bind(at)
                .bind(version)
                .bind(step.as_str())
                .bind(reason)
                .execute(tx)
                .await?;
            }
            // Still confirmed until the cancellation completes (as the booking endpoint shows it).
            BookingEvent::BookingCancellationRequested { .. } => {
                sqlx::query(&set(""))
                    .bind(id)
                    .bind(at)
                    .bind(version)
                    .execute(tx)
                    .await?;
            }
            BookingEvent::BookingCancelled { refunded, .. } => {
                sqlx::query(&set("status = 'cancelled', refunded_amount = $4, "))
                    .bind(id)
                    .bind(at)
                    .bind(version)
                    .bind(refunded.amount)
                    .execute(tx)
                    .await?;
            }
        }
        Ok(())
    }
}

/// Miles a booking earned, net of what was taken back.
async fn miles(
    tx: &mut PgConnection,
    schema: &str,
    event: &skyfly_domain::loyalty::LoyaltyEvent,
) -> Result<(), sqlx::Error> {
    use skyfly_domain::loyalty::LoyaltyEvent as E;
    let (booking, delta) = match event {
        E::MilesAwarded {
            booking_id, miles, ..
        } => (booking_id, i64::try_from(*miles).unwrap_or(i64::MAX)),
        E::MilesRevoked {
            booking_id, miles, ..
        } => (booking_id, -i64::try_from(*miles).unwrap_or(i64::MAX)),
        _ => return Ok(()),
    };
    sqlx::query(&format!(
        "UPDATE {schema}.booking_view SET miles_awarded = miles_awarded + $2 WHERE booking_id = $1"
    ))
    .bind(booking.0)
    .bind(delta)
    .execute(tx)
    .await?;
    Ok(())
}
