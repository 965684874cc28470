//! Connecting to PostgreSQL: what is done about a missing database or schema, and how long a
//! server that turns connections away (starting up, out of connection slots) is waited for.
//!
//! Writing entry points (servers, `skyfly migrate`, imports) create the database and migrate it;
//! read-only ones (exports, status) require both to be there and change nothing, so that a
//! mistyped `DATABASE_URL` is an error rather than a new, empty database.

use super::MIGRATOR;
use sqlx::migrate::MigrateDatabase;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{ConnectOptions, Connection};
use std::str::FromStr;
use std::time::Duration;

/// What connecting does about the database and its schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// Create the database if it is missing and apply the migrations.
    Migrate,
    /// The database must exist with every migration applied; nothing is created or changed.
    Require,
}

/// How to connect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Connect {
    /// Size of the pool (at least 1).
    pub max_connections: u32,
    /// Create and migrate, or require.
    pub schema: Schema,
    /// How long, in all, to keep retrying while the server turns connections away (not
    /// accepting yet, too many clients); zero: try once.
    pub wait: Duration,
}

impl Connect {
    /// Create and migrate, trying once.
    pub fn migrate(max_connections: u32) -> Self {
        Self {
            max_connections,
            schema: Schema::Migrate,
            wait: Duration::ZERO,
        }
    }
}

/// Why there is no pool.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// A setting that cannot work, named.
    #[error("{setting}: {reason}")]
    Setting {
        /// The setting.
        setting: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The database of the URL does not exist (and was not to be created).
    #[error(
        "the database `{database}` does not exist on that server (check DATABASE_URL); \
         nothing was created: `skyfly migrate` creates it"
    )]
    NoDatabase {
        /// The database's name.
        database: String,
    },
    /// The database exists without SkyFly's schema (or with part of it), and was not to be
    /// migrated.
    #[error(
        "the database `{database}` has no SkyFly schema ({applied} of {expected} migrations \
         applied; check DATABASE_URL); nothing was changed: `skyfly migrate` applies them"
    )]
    NotMigrated {
        /// The database's name.
        database: String,
        /// Migrations of this release found applied.
        applied: usize,
        /// Migrations of this release.
        expected: usize,
    },
    /// The server kept turning connections away for as long as we were to wait.
    #[error("PostgreSQL at {server} still refuses connections after {waited:?}: {source}")]
    Unavailable {
        /// Host, port and database (never the password).
        server: String,
        /// How long we waited.
        waited: Duration,
        /// The last refusal.
        source: sqlx::Error,
    },
    /// Anything else PostgreSQL answered (or failed with).
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Checks that `url` is a PostgreSQL URL sqlx can connect with, without connecting.
pub fn check_url(url: &str) -> Result<(), String> {
    let scheme = url.split_once("://").map(|(s, _)| s);
    if !matches!(scheme, Some("postgres" | "postgresql")) {
        return Err("expected postgres://[user[:password]@]host[:port]/database".to_owned());
    }
    PgConnectOptions::from_str(url)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// A pool on `url`, as `how` says: the database created and migrated, or required to be so;
/// refusals the server gives while starting up or out of connection slots retried with backoff
/// for up to `how.wait`, each logged with what is waited for.
pub async fn connect(url: &str, how: Connect) -> Result<PgPool, ConnectError> {
    if how.max_connections == 0 {
        return Err(ConnectError::Setting {
            setting: "max_connections",
            reason: "a pool needs at least one connection".to_owned(),
        });
    }
    let options = PgConnectOptions::from_str(url)?
        .application_name("skyfly")
        .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
    let server = format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or_default()
    );
    let started = tokio::time::Instant::now();
    let mut pause = Duration::from_millis(100);
    loop {
        match attempt(url, &options, how).await {
            Err(ConnectError::Database(e)) if is_refusal(&e) => {
                let waited = started.elapsed();
                if how.wait.is_zero() {
                    return Err(ConnectError::Database(e));
                }
                if waited + pause > how.wait {
                    return Err(ConnectError::Unavailable {
                        server,
                        waited,
                        source: e,
                    });
                }
                tracing::warn!(
                    %server,
                    error = %e,
                    retry_in = ?pause,
                    waited = ?waited,
                    wait = ?how.wait,
                    "waiting for PostgreSQL to accept connections"
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(2));
            }
            other => return other,
        }
    }
}

/// One try: a single connection first (so that a refusal is seen at once, not after the pool's
/// own silent retries), then the pool.
async fn attempt(
    url: &str,
    options: &PgConnectOptions,
    how: Connect,
) -> Result<PgPool, ConnectError> {
    if how.schema == Schema::Migrate && !sqlx::Postgres::database_exists(url).await? {
        // Two processes may race to create it; losing that race is fine.
        if let Err(e) = sqlx::Postgres::create_database(url).await
            && !sqlx::Postgres::database_exists(url).await.unwrap_or(false)
        {
            return Err(e.into());
        }
    }
    let database = options.get_database().unwrap_or_default().to_owned();
    match sqlx::PgConnection::connect_with(options).await {
        Ok(probe) => probe.close().await?,
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("3D000") => {
            return Err(ConnectError::NoDatabase { database });
        }
        Err(e) => return Err(e.into()),
    }
    let pool = PgPoolOptions::new()
        .max_connections(how.max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options.clone())
        .await?;
    match how.schema {
        Schema::Migrate => MIGRATOR.run(&pool).await.map_err(sqlx::Error::from)?,
        Schema::Require => {
            let applied = applied_migrations(&pool).await?;
            let expected = MIGRATOR.iter().count();
            if applied < expected {
                pool.close().await;
                return Err(ConnectError::NotMigrated {
                    database,
                    applied,
                    expected,
                });
            }
        }
    }
    Ok(pool)
}

/// How many of this release's migrations the database has applied (0 without the table).
async fn applied_migrations(pool: &PgPool) -> Result<usize, sqlx::Error> {
    let versions: Vec<i64> =
        match sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
            .fetch_all(pool)
            .await
        {
            Ok(v) => v,
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P01") => Vec::new(),
            Err(e) => return Err(e),
        };
    Ok(MIGRATOR
        .iter()
        .filter(|m| versions.contains(&m.version))
        .count())
}

/// Whether the server turned the connection away for now: not reachable or not accepting yet,
/// out of connection slots (server-wide or the database's `CONNECTION LIMIT`), or the pool timed
/// out waiting for one.
fn is_refusal(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut => true,
        // 53300 too_many_connections, 57P03 cannot_connect_now, 08* connection exceptions.
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|c| c == "53300" || c == "57P03" || c.starts_with("08")),
        _ => false,
    }
}
