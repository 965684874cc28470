//! `airports`: the places flights fly between, for place search. Reference data, not derived from
//! the log: the table is created by a migration and upserted from the embedded list on every
//! start; this module owns every statement against it.

use skyfly_domain::place::Airport;
use sqlx::PgPool;

/// How many places a search answers at most.
pub const SEARCH_LIMIT: i64 = 50;

/// One row of `airports`.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PlaceRow {
    /// The IATA code (`char(3)`).
    pub code: String,
    /// The airport's name.
    pub name: String,
    /// The city the airport serves.
    pub city: String,
    /// The airport's country, by name.
    pub country: String,
    /// IANA time zone, e.g. `America/Chicago`.
    pub time_zone: String,
}

/// Inserts `airports`, or updates those already there, in one transaction.
pub async fn upsert(pool: &PgPool, airports: &[Airport]) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for a in airports {
        sqlx::query(
            "INSERT INTO airports (code, name, city, country, time_zone) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, city = EXCLUDED.city, \
             country = EXCLUDED.country, time_zone = EXCLUDED.time_zone",
        )
        .bind(a.code.as_str())
        .bind(&a.name)
        .bind(&a.city)
        .bind(&a.country)
        .bind(&a.time_zone)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await
}

/// Places whose code, city or name starts with `prefix` (case-insensitive; `%`, `_` and `\` match
/// themselves), the exact code first, then by code; at most [`SEARCH_LIMIT`].
pub async fn search(pool: &PgPool, prefix: &str) -> Result<Vec<PlaceRow>, sqlx::Error> {
    let lower = prefix.to_lowercase();
    let pattern = format!(
        "{}%",
        lower
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    sqlx::query_as(
        "SELECT code, name, city, country, time_zone FROM airports \
         WHERE lower(code) LIKE $1 OR lower(city) LIKE $1 OR lower(name) LIKE $1 \
         ORDER BY (lower(code) = $2) DESC, code LIMIT $3",
    )
    .bind(&pattern)
    .bind(&lower)
    .bind(SEARCH_LIMIT)
    .fetch_all(pool)
    .await
}

/// Whether the read models' database answers (a cheap read of `airports`), for the health check.
pub async fn probe(pool: &PgPool) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT 1 FROM airports LIMIT 1")
        .execute(pool)
        .await
        .map(|_| ())
}
