//! Operating the read models: their status, and rebuilding one from the log.
//!
//! The read models themselves live in `skyfly-projections`; this layer sees them through the
//! [`ReadModels`] port, which the engine builder implements over the projectors.

use crate::{Application, UseCaseError, UseCaseResult};
use async_trait::async_trait;

#[cfg(test)]
mod tests;

/// Where a read model is and how far behind the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadModelStatus {
    /// The read model's stable name (`booking_view`).
    pub name: String,
    /// The global position it has applied.
    pub position: u64,
    /// Events in the log it has not applied yet.
    pub lag_events: u64,
    /// Age of the oldest event it has not applied yet.
    pub lag_ms: u64,
    /// `live | catching_up`.
    pub status: String,
}

/// Progress of a rebuild: `(events applied, events in all)`.
pub type Progress<'a> = &'a (dyn Fn(u64, u64) + Send + Sync);

/// The port to the read models.
#[async_trait]
pub trait ReadModels: Send + Sync + 'static {
    /// Every read model's name.
    fn names(&self) -> Vec<&'static str>;
    /// Every read model's status.
    async fn statuses(&self) -> UseCaseResult<Vec<ReadModelStatus>>;
    /// Rebuilds the read model `name` from the whole log (the live one keeps answering, then an
    /// atomic switch); returns how many events it applied. A rebuild of it already running (in
    /// any process) is refused with [`REBUILD_IN_PROGRESS`].
    async fn rebuild(&self, name: &str, progress: Progress<'_>) -> UseCaseResult<u64>;
    /// Claims the rebuild of `name` and runs it in the background (its outcome is in the
    /// read models' status); refused with [`REBUILD_IN_PROGRESS`] while one runs.
    async fn start_rebuild(&self, name: &str) -> UseCaseResult<()>;
}

/// The code of a rebuild refused because one of the same read model runs.
pub const REBUILD_IN_PROGRESS: &str = "rebuild_in_progress";

/// The refusal of a second rebuild of `name` while one runs.
pub fn rebuild_in_progress(name: &str) -> UseCaseError {
    UseCaseError::refused(
        crate::RefusalKind::Conflict,
        REBUILD_IN_PROGRESS,
        None,
        format!(
            "a rebuild of {name} is already running; its progress is in GET /admin/projections"
        ),
    )
}

/// Rebuild a read model (staff).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebuildReadModel {
    /// Its name.
    pub name: String,
}

impl RebuildReadModel {
    /// The command, if `name` is a read model's name.
    pub fn parse(app: &Application, name: &str) -> UseCaseResult<Self> {
        if app.read_models.names().contains(&name) {
            Ok(Self {
                name: name.to_owned(),
            })
        } else {
            Err(UseCaseError::NotFound("projection"))
        }
    }
}

/// Every read model's status.
pub async fn statuses(app: &Application) -> UseCaseResult<Vec<ReadModelStatus>> {
    app.read_models.statuses().await
}

/// Rebuilds a read model and waits for it to finish.
pub async fn rebuild(
    app: &Application,
    command: &RebuildReadModel,
    progress: Progress<'_>,
) -> UseCaseResult<u64> {
    app.read_models.rebuild(&command.name, progress).await
}

/// Starts rebuilding a read model in the background (the answer does not wait for it); refused
/// while a rebuild of it runs.
pub async fn start_rebuild(app: &Application, command: RebuildReadModel) -> UseCaseResult<()> {
    app.read_models.start_rebuild(&command.name).await
}
