//! Disarm a fault: it stops hitting its step from now on.

use crate::{Application, Call, Executed, UseCaseError, UseCaseResult};
use skyfly_domain::faults::{BOARD_ID, DisarmFault, FaultBoard, FaultCommand};
use uuid::Uuid;

/// Disarm a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Disarm {
    /// The fault.
    pub fault_id: Uuid,
}

/// Disarms the fault now; `not_found` if the board never armed it. Disarming a disarmed fault
/// again records nothing.
pub async fn disarm(
    app: &Application,
    call: &Call,
    command: Disarm,
) -> UseCaseResult<Executed<FaultBoard>> {
    let fault_id = command.fault_id;
    app.execute_existing::<FaultBoard>(
        call,
        BOARD_ID,
        |board: &FaultBoard| board.fault(fault_id).is_some(),
        || UseCaseError::NotFound("fault"),
        |at| FaultCommand::DisarmFault(DisarmFault { fault_id, at }),
    )
    .await
}
