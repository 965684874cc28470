//! `skyfly migrate`: create the database if needed and apply the migrations.

use crate::Settings;

/// Runs the subcommand.
pub async fn run(settings: &Settings) -> anyhow::Result<()> {
    let connect = skyfly_infra::pg::Connect {
        wait: std::time::Duration::from_secs(settings.db_wait_secs),
        ..skyfly_infra::pg::Connect::migrate(2)
    };
    skyfly_infra::pg::connect(&settings.database_url, connect).await?;
    println!("database is migrated");
    Ok(())
}
