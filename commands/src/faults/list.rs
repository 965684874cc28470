//! The faults on the board, as the write side knows them.

use crate::{Application, UseCaseResult};
use skyfly_domain::faults::{BOARD_ID, Fault, FaultBoard};

/// Every fault ever armed, oldest first, with what became of it.
pub async fn list(app: &Application) -> UseCaseResult<Vec<Fault>> {
    let (board, _) = app.bus.load::<FaultBoard>(BOARD_ID).await?;
    Ok(board.faults().cloned().collect())
}
