//! The CLI's configuration: every value a flag and an environment variable, with local
//! defaults (secrets never printed), turned into the engine's settings in one place.

use anyhow::Context;
use clap::Args;
use skyfly_engine::Engine;
use std::sync::Arc;

/// One `Settings` struct: every value a flag and an environment variable, with local defaults.
#[derive(Debug, Args)]
pub struct Settings {
    /// PostgreSQL (event store and read models); the database is created if missing.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        default_value = "postgres://127.0.0.1:5432/skyfly"
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
        default_value = "skyfly.events"
    )]
    pub nats_prefix: String,
    /// Size of the PostgreSQL connection pool.
    #[arg(long, global = true, env = "SKYFLY_DB_POOL", default_value_t = 32)]
    pub db_pool: u32,
    /// Secret for signing access tokens; generated and stored on first start if unset.
    #[arg(long, global = true, env = "SKYFLY_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
}

impl Settings {
    /// The engine on this configuration (the system clock, the built-in card processor).
    pub fn engine_settings(&self, worker_id: Option<uuid::Uuid>) -> skyfly_engine::Settings {
        skyfly_engine::Settings {
            jwt_secret: self.jwt_secret.clone(),
            nats_url: Some(self.nats_url.clone()),
            nats_prefix: Some(self.nats_prefix.clone()),
            max_connections: self.db_pool,
            worker_id,
            ..skyfly_engine::Settings::new(
                &self.database_url,
                Arc::new(skyfly_infra::clock::SystemClock),
            )
        }
    }

    /// Builds the engine (starting nothing).
    pub async fn engine(&self, worker_id: Option<uuid::Uuid>) -> anyhow::Result<Engine> {
        Engine::build(self.engine_settings(worker_id))
            .await
            .with_context(|| "could not start: is PostgreSQL reachable at DATABASE_URL?")
    }
}
