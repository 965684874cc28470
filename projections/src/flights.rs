//! `flight_availability`: one row per flight instance and cabin, for search and availability.

use crate::runtime::Projection;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use skyfly_domain::cabin::Cabin;
use skyfly_domain::event::RecordedEvent;
use skyfly_domain::inventory::{InventoryEvent, SeatState};
use sqlx::{PgConnection, PgPool};

/// The projection that keeps `flight_availability`: the flights scheduled and their seats.
#[derive(Debug, Default, Clone, Copy)]
pub struct FlightAvailabilityProjection;

/// The projection's name and its table.
pub const NAME: &str = "flight_availability";

/// How many offers a search answers at most.
pub const SEARCH_LIMIT: i64 = 200;

/// One row of `flight_availability`: a flight's cabin.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FlightAvailabilityRow {
    /// The flight instance, `<flight number>-<YYYY-MM-DD>`.
    pub flight_id: String,
    /// The cabin: `economy | premium | business | first`.
    pub cabin: String,
    /// The flight number, e.g. `SF100`.
    pub flight_number: String,
    /// IATA code (`char(3)`).
    pub origin: String,
    /// IATA code (`char(3)`).
    pub destination: String,
    /// When the flight departs.
    pub departure: DateTime<Utc>,
    /// When the flight arrives.
    pub arrival: DateTime<Utc>,
    /// Seats in the cabin: always `available + held + sold`.
    pub capacity: i32,
    /// Seats neither held nor sold.
    pub available: i32,
    /// Seats held for a booking and not yet committed.
    pub held: i32,
    /// Seats committed to a booking (sold).
    pub sold: i32,
    /// The fare of one seat, in minor units of `currency`.
    pub fare_amount: i64,
    /// ISO 4217 code (`char(3)`).
    pub currency: String,
}

/// What [`search`] looks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlightSearch {
    /// IATA code, any case.
    pub origin: String,
    /// IATA code, any case.
    pub destination: String,
    /// The day of departure (UTC).
    pub date: NaiveDate,
    /// Only this cabin, if given.
    pub cabin: Option<Cabin>,
    /// Seats that must still be available.
    pub seats: u32,
}

const COLUMNS: &str = "flight_id, cabin, flight_number, origin, destination, departure, arrival, capacity, \
     available, held, sold, fare_amount, currency";

/// Cabins of flights from `origin` to `destination` departing on `date` with at least `seats`
/// available, by departure, flight and cabin; at most [`SEARCH_LIMIT`].
pub async fn search(
    pool: &PgPool,
    search: &FlightSearch,
) -> Result<Vec<FlightAvailabilityRow>, sqlx::Error> {
    let day_start = search.date.and_time(NaiveTime::MIN).and_utc();
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM flight_availability \
         WHERE origin = $1 AND destination = $2 AND departure >= $3 AND departure < $3 + interval '1 day' \
         AND ($4::text IS NULL OR cabin = $4) AND available >= $5 ORDER BY departure, flight_id, cabin LIMIT $6"
    ))
    .bind(search.origin.to_uppercase())
    .bind(search.destination.to_uppercase())
    .bind(day_start)
    .bind(search.cabin.map(Cabin::as_str))
    .bind(i32::try_from(search.seats).unwrap_or(i32::MAX))
    .bind(SEARCH_LIMIT)
    .fetch_all(pool)
    .await
}

/// The cabins of the flight `flight_id`, by cabin (none if the read model does not know it).
pub async fn availability(
    pool: &PgPool,
    flight_id: &str,
) -> Result<Vec<FlightAvailabilityRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM flight_availability WHERE flight_id = $1 ORDER BY cabin"
    ))
    .bind(flight_id)
    .fetch_all(pool)
    .await
}

#[async_trait]
impl Projection for FlightAvailabilityProjection {
    fn name(&self) -> &'static str {
        NAME
    }

    fn create(&self, schema: &str) -> Vec<String> {
        vec![
            format!(
                "CREATE TABLE {schema}.flight_availability (
                    flight_id     text        NOT NULL,
                    cabin         text        NOT NULL,
                    flight_number text        NOT NULL,
                    origin        char(3)     NOT NULL,
                    destination   char(3)     NOT NULL,
                    departure     timestamptz NOT NULL,
                    arrival       timestamptz NOT NULL,
                    capacity      integer     NOT NULL,
                    available     integer     NOT NULL,
                    held          integer     NOT NULL,
                    sold          integer     NOT NULL,
                    fare_amount   bigint      NOT NULL,
                    currency      char(3)     NOT NULL,
                    PRIMARY KEY (flight_id, cabin)
                )"
            ),
            format!(
                "CREATE INDEX ON {schema}.flight_availability (origin, destination, departure)"
            ),
        ]
    }

    fn tables(&self) -> &'static [&'static str] {
        &["flight_availability"]
    }

    /// A batch in two statements: the flights it schedules, then the net seat movements per
    /// flight and cabin (movements add up, so their order within the batch does not matter, and a
    /// flight's movements never precede its scheduling in the log).
    async fn apply_all(
        &self,
        tx: &mut PgConnection,
        schema: &str,
        events: &[RecordedEvent],
    ) -> Result<(), sqlx::Error> {
        let mut scheduled: Vec<&RecordedEvent> = Vec::new();
        let mut moves: std::collections::BTreeMap<(String, &'static str), [i32; 3]> =
            Default::default();
        for event in events {
            let Some((flight_id, e)) = crate::runtime::decode_in::<InventoryEvent>(event, "flight")
            else {
                continue;
            };
            // [available, held, sold]
            let (cabin, delta) = match e {
                InventoryEvent::FlightScheduled { .. } => {
                    scheduled.push(event);
                    continue;
                }
                InventoryEvent::SeatsReserved { cabin, seats, .. } => {
                    let n = i32::try_from(seats).unwrap_or(0);
                    (cabin, [-n, n, 0])
                }
                InventoryEvent::SeatsCommitted { cabin, seats, .. } => {
                    let n = i32::try_from(seats).unwrap_or(0);
                    (cabin, [0, -n, n])
                }
                InventoryEvent::SeatsReleased {
                    cabin, seats, was, ..
                } => {
                    let n = i32::try_from(seats).unwrap_or(0);
                    match was {
                        SeatState::Held => (cabin, [n, -n, 0]),
                        SeatState::Sold => (cabin, [n, 0, -n]),
                    }
                }
            };
            let total = moves
                .entry((flight_id.to_owned(), cabin.as_str()))
                .or_default();
            for (t, d) in total.iter_mut().zip(delta) {
                *t += d;
            }
        }
        for event in scheduled {
            self.apply(tx, schema, event).await?;
        }
        if moves.is_empty() {
            return Ok(());
        }
        let mut flights = Vec::with_capacity(moves.len());
        let mut cabins = Vec::with_capacity(moves.len());
        let (mut available, mut held, mut sold) = (Vec::new(), Vec::new(), Vec::new());
        for ((flight, cabin), [a, h, s]) in moves {
            flights.push(flight);
            cabins.push(cabin.to_owned());
            available.push(a);
            held.push(h);
            sold.push(s);
        }
        sqlx::query(&format!(
            "UPDATE {schema}.flight_availability f SET available = f.available + m.a, \
             held = f.held + m.h, sold = f.sold + m.s \
             FROM unnest($1::text[], $2::text[], $3::int[], $4::int[], $5::int[]) AS m(flight_id, cabin, a, h, s) \
             WHERE f.flight_id = m.flight_id AND f.cabin = m.cabin"
        ))
        .bind(flights)
        .bind(cabins)
        .bind(available)
        .bind(held)
        .bind(sold)
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    async fn apply(
        &self,
        tx: &mut PgConnection,
        schema: &str,
        event: &RecordedEvent,
    ) -> Result<(), sqlx::Error> {
        let Some((flight_id, e)) = crate::runtime::decode_in::<InventoryEvent>(event, "flight")
        else {
            return Ok(());
        };
        let table = format!("{schema}.flight_availability");
        match e {
            InventoryEvent::FlightScheduled {
                flight_number,
                origin,
                destination,
                departure,
                arrival,
                cabins,
                ..
            } => {
                for (cabin, spec) in cabins {
                    sqlx::query(&format!(
                        "INSERT INTO {table} (flight_id, cabin, flight_number, origin, destination, departure, arrival, \
                         capacity, available, held, sold, fare_amount, currency) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 0, 0, $9, $10) ON CONFLICT DO NOTHING"
                    ))
                    .bind(flight_id)
                    .bind(cabin.as_str())
                    .bind(flight_number.as_str())
                    .bind(origin.as_str())
                    .bind(destination.as_str())
                    .bind(departure)
                    .bind(arrival)
                    .bind(i32::try_from(spec.capacity).unwrap_or(i32::MAX))
                    .bind(spec.fare.amount)
                    .bind(spec.fare.currency.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
            }
            InventoryEvent::SeatsReserved { cabin, seats, .. } => {
                seats_moved(
                    tx,
                    &table,
                    flight_id,
                    cabin.as_str(),
                    "available",
                    "held",
                    seats,
                )
                .await?;
            }
            InventoryEvent::SeatsCommitted { cabin, seats, .. } => {
                seats_moved(tx, &table, flight_id, cabin.as_str(), "held", "sold", seats).await?;
            }
            InventoryEvent::SeatsReleased {
                cabin, seats, was, ..
            } => {
                let from = match was {
                    SeatState::Held => "held",
                    SeatState::Sold => "sold",
                };
                seats_moved(
                    tx,
                    &table,
                    flight_id,
                    cabin.as_str(),
                    from,
                    "available",
                    seats,
                )
                .await?;
            }
        }
        Ok(())
    }
}

async fn seats_moved(
    tx: &mut PgConnection,
    table: &str,
    flight_id: &str,
    cabin: &str,
    from: &str,
    to: &str,
    seats: u32,
) -> Result<(), sqlx::Error> {
    sqlx::query(&format!("UPDATE {table} SET {from} = {from} - $3, {to} = {to} + $3 WHERE flight_id = $1 AND cabin = $2"))
        .bind(flight_id)
        .bind(cabin)
        .bind(i32::try_from(seats).unwrap_or(0))
        .execute(tx)
        .await?;
    Ok(())
}
