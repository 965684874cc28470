//! The benchmark's yardstick: a table shaped exactly like `events` (the same columns,
//! constraints and indexes, taken from it) with positions from a plain sequence instead of the
//! append function, so a single-row insert into it is what PostgreSQL itself can do.

use skyfly_domain::event::NewEvent;
use sqlx::PgPool;

/// Creates the `bench_raw` table (in a scratch database: it is never dropped here).
pub async fn create(pool: &PgPool) -> Result<(), sqlx::Error> {
    for statement in [
        "CREATE TABLE bench_raw (LIKE events INCLUDING ALL)",
        "CREATE SEQUENCE bench_raw_position",
        "ALTER TABLE bench_raw ALTER COLUMN global_position SET DEFAULT nextval('bench_raw_position')",
    ] {
        sqlx::query(statement).execute(pool).await?;
    }
    Ok(())
}

/// Inserts `event` as version `version` of `stream` into `bench_raw`, in its own transaction.
pub async fn insert(
    pool: &PgPool,
    stream: &str,
    version: u64,
    event: &NewEvent,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO bench_raw (event_id, stream_id, stream_version, event_type, schema_version, \
         payload, metadata, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(stream)
    .bind(i64::try_from(version).unwrap_or(i64::MAX))
    .bind(&event.event_type)
    .bind(1i32)
    .bind(&event.payload)
    .bind(serde_json::to_value(&event.metadata).unwrap_or_default())
    .bind(event.recorded_at)
    .execute(pool)
    .await?;
    Ok(())
}

/// How many events the log holds (committed or not yet readable).
pub async fn count_events(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM events")
        .fetch_one(pool)
        .await?;
    Ok(u64::try_from(n).unwrap_or(0))
}
