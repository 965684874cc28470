//! The CLI's configuration: every value a flag and an environment variable, with local
//! defaults (secrets never printed), checked when the arguments are parsed (a bad value is a
//! usage error naming the flag, exit status 2, before anything connects), and turned into the
//! engine's settings in one place.

use anyhow::Context;
use clap::Args;
use skyfly_engine::Engine;
use std::sync::Arc;

/// One `Settings` struct: every value a flag and an environment variable, with local defaults.
#[derive(Debug, Args)]
pub struct Settings {
    /// PostgreSQL (event store and read models); the database is created and migrated if
    /// missing, except by read-only commands (`events`, `projections status`), which fail.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = "postgres://127.0.0.1:5432/skyfly",
        hide_env_values = true
    )]
    pub database_url: String,
    /// NATS with JetStream (the relay and the live stream); empty: run without NATS.
    #[arg(
        long,
        global = true,
        env = "NATS_URL",
        default_value = "nats://127.0.0.1:4222"
    )]
    pub nats_url: String,
    /// Subject prefix of this engine's events on NATS (`<prefix>.<category>.<event_type>`, in
    /// the JetStream stream named after it): give each installation sharing a NATS its own.
    #[arg(
        long,
        global = true,
        env = "SKYFLY_NATS_PREFIX",
        default_value = "skyfly.events",
        value_parser = nats_prefix
    )]
    pub nats_prefix: String,
    /// Size of the PostgreSQL connection pool (at least 1).
    #[arg(long, global = true, env = "SKYFLY_DB_POOL", default_value_t = 32,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub db_pool: u32,
    /// Seconds to keep retrying, with backoff, while PostgreSQL turns connections away on start
    /// (starting up, too many clients); 0: try once.
    #[arg(long, global = true, env = "SKYFLY_DB_WAIT_SECS", default_value_t = 30)]
    pub db_wait_secs: u64,
    /// Secret for signing access tokens; generated and stored on first start if unset.
    #[arg(long, global = true, env = "SKYFLY_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
}

/// `SKYFLY_NATS_PREFIX` must make valid NATS subjects.
fn nats_prefix(prefix: &str) -> Result<String, String> {
    skyfly_infra::nats::Subjects::new(prefix)
        .map(|_| prefix.to_owned())
        .map_err(|e| e.to_string())
}

impl Settings {
    /// What clap cannot check without echoing a secret: `DATABASE_URL` (which may carry a
    /// password) must be a PostgreSQL URL. The message names the setting, never its value.
    pub fn check(&self) -> Result<(), String> {
        skyfly_infra::pg::check_url(&self.database_url)
            .map_err(|e| format!("invalid --database-url (DATABASE_URL): {e}"))
    }

    /// The engine on this configuration (the system clock, the built-in card processor).
    pub fn engine_settings(&self, worker_id: Option<uuid::Uuid>) -> skyfly_engine::Settings {
        skyfly_engine::Settings {
            jwt_secret: self.jwt_secret.clone(),
            nats_url: Some(self.nats_url.clone()),
            nats_prefix: Some(self.nats_prefix.clone()),
            max_connections: self.db_pool,
            connect_wait: std::time::Duration::from_secs(self.db_wait_secs),
            worker_id,
            ..skyfly_engine::Settings::new(
                &self.database_url,
                Arc::new(skyfly_infra::clock::SystemClock),
            )
        }
    }

    /// Builds the engine (starting nothing), creating and migrating the database if needed.
    pub async fn engine(&self, worker_id: Option<uuid::Uuid>) -> anyhow::Result<Engine> {
        build(self.engine_settings(worker_id)).await
    }

    /// Builds a read-only engine: the database must exist and be migrated; nothing is written.
    pub async fn read_only_engine(&self) -> anyhow::Result<Engine> {
        build(skyfly_engine::Settings {
            read_only: true,
            ..self.engine_settings(None)
        })
        .await
    }
}

async fn build(settings: skyfly_engine::Settings) -> anyhow::Result<Engine> {
    Engine::build(settings)
        .await
        .context("could not open the database of DATABASE_URL")
}
