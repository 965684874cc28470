//! `skyfly migrate`: create the database if needed and apply the migrations.

use crate::Settings;

/// Runs the subcommand.
pub async fn run(settings: &Settings) -> anyhow::Result<()> {
    skyfly_infra::pg::connect_and_migrate(&settings.database_url, 2).await?;
    println!("database is migrated");
    Ok(())
}
