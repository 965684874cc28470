//! Applies the faults armed on the fault board to a forward step: delays, and failures (each
//! recorded on the board, so an auditor sees which booking failed because of which fault).

use super::steps::StepFailure;
use super::{DriveError, ProcessManager, metadata};
use crate::{CommandError, Envelope};
use skyfly_domain::faults::{BOARD_ID, FaultBoard, FaultCommand, FaultEffect, TriggerFault, roll};
use skyfly_domain::ids::CommandId;
use skyfly_domain::saga::{ForwardStep, SagaState};
use std::time::Duration;

impl ProcessManager {
    /// Applies armed faults for this step: delays, and possibly a failure (recorded on the board).
    pub(super) async fn faults(
        &self,
        s: &SagaState,
        step: ForwardStep,
        attempt: u32,
    ) -> Result<Option<StepFailure>, DriveError> {
        let saga_step = step.saga_step();
        // Every step of every saga looks at the one fault board: from the cache, which this
        // process's own commands keep current and the log follower refreshes when the board
        // changes elsewhere (see `observe`). Reading it from the store each time would make the
        // board's slot a lock every saga step of the process queues for.
        let (board, _) = self.bus.load_cached::<FaultBoard>(BOARD_ID).await?;
        let mut failure = None;
        for effect in board.effects(saga_step, roll(s.booking_id, saga_step, attempt)) {
            match effect {
                FaultEffect::Delay { delay_ms } => {
                    tokio::time::sleep(Duration::from_millis(u64::from(delay_ms))).await
                }
                FaultEffect::Fail { fault_id } => {
                    let command_id = CommandId::derived(&format!(
                        "{}/fault/{}/{attempt}",
                        s.booking_id,
                        step.as_str()
                    ));
                    let trigger = FaultCommand::TriggerFault(TriggerFault {
                        fault_id,
                        booking_id: s.booking_id,
                        at: self.now(),
                    });
                    match self
                        .bus
                        .execute::<FaultBoard>(
                            BOARD_ID,
                            Envelope::new(trigger, metadata(s.booking_id, command_id)),
                        )
                        .await
                    {
                        Ok(_) => failure = Some(StepFailure::Fault { fault_id }),
                        // Used up by another saga meanwhile: this command is not failed.
                        Err(CommandError::Rejected(_)) => {}
                        Err(e) => return Err(e.into()),
                    }
                }
            }
        }
        Ok(failure)
    }
}
