//! `skyfly staff create`: a staff account, through the registration use case.

use crate::Settings;
use clap::Subcommand;

/// Staff accounts.
#[derive(Debug, Subcommand)]
pub enum StaffCommand {
    /// Create a staff account.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, env = "SKYFLY_STAFF_PASSWORD", hide_env_values = true)]
        password: String,
        #[arg(long, default_value = "Staff")]
        name: String,
    },
}

/// Runs the subcommand.
pub async fn run(settings: &Settings, command: StaffCommand) -> anyhow::Result<()> {
    let StaffCommand::Create {
        email,
        password,
        name,
    } = command;
    let engine = settings.engine(None).await?;
    match skyfly_engine::demo::create_staff(&engine.app, &email, &password, &name).await {
        Ok(id) => println!("staff account {email} created ({id})"),
        Err(e) => anyhow::bail!("{e} ({})", e.code().unwrap_or("error")),
    }
    Ok(())
}
