//! Arm a fault: fail (a number of, or a share of) the commands of a saga step, or delay them.

use crate::{Application, Call, Envelope, UseCaseError, UseCaseResult};
use skyfly_domain::booking::SagaStep;
use skyfly_domain::faults::{ArmFault, BOARD_ID, Fault, FaultBoard, FaultCommand, FaultMode};
use skyfly_domain::ids::{CommandId, SKYFLY_NAMESPACE};
use uuid::Uuid;

/// What a fault does to the commands of its step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    /// Fail them.
    Fail,
    /// Delay them.
    Delay,
}

/// Arm a fault on a saga step; every value already validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arm {
    /// The step whose commands the fault hits.
    pub step: SagaStep,
    /// What it does to them.
    pub mode: FaultMode,
}

impl Arm {
    /// The command from the values as given, naming the first invalid field. `count` and
    /// `probability` (0 to 1) belong to [`FaultKind::Fail`], `delay_ms` (required) to
    /// [`FaultKind::Delay`].
    pub fn parse(
        step: SagaStep,
        kind: FaultKind,
        count: Option<u32>,
        probability: Option<f64>,
        delay_ms: Option<u32>,
    ) -> UseCaseResult<Self> {
        let mode = match kind {
            FaultKind::Fail => {
                if delay_ms.is_some() {
                    return Err(UseCaseError::invalid(
                        "delay_ms",
                        "invalid_field",
                        "delay_ms belongs to mode \"delay\"",
                    ));
                }
                let per_mille = match probability {
                    None => None,
                    Some(p) if (0.0..=1.0).contains(&p) => Some((p * 1000.0).round() as u16),
                    Some(_) => {
                        return Err(UseCaseError::invalid(
                            "probability",
                            "invalid_probability",
                            "between 0 and 1",
                        ));
                    }
                };
                FaultMode::Fail { count, per_mille }
            }
            FaultKind::Delay => {
                if count.is_some() || probability.is_some() {
                    return Err(UseCaseError::invalid(
                        "mode",
                        "invalid_field",
                        "count and probability belong to mode \"fail\"",
                    ));
                }
                let delay_ms = delay_ms.ok_or_else(|| {
                    UseCaseError::invalid(
                        "delay_ms",
                        "missing_field",
                        "mode \"delay\" needs delay_ms",
                    )
                })?;
                FaultMode::Delay { delay_ms }
            }
        };
        Ok(Self { step, mode })
    }
}

/// An armed fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Armed {
    /// The fault as the board holds it now.
    pub fault: Fault,
    /// The board's version.
    pub version: u64,
    /// Global position of the event.
    pub position: Option<u64>,
}

/// The fault id an arming command gives its fault (a retry names the same fault).
pub fn fault_id_for(command_id: CommandId) -> Uuid {
    Uuid::new_v5(
        &SKYFLY_NAMESPACE,
        format!("fault/{}", command_id.0).as_bytes(),
    )
}

/// Arms the fault now; refused by the board for values it does not accept (`invalid_delay`,
/// `invalid_count`, …).
pub async fn arm(app: &Application, call: &Call, command: Arm) -> UseCaseResult<Armed> {
    let fault_id = fault_id_for(call.command_id);
    let arm = FaultCommand::ArmFault(ArmFault {
        fault_id,
        step: command.step,
        mode: command.mode,
        at: app.now(),
    });
    let envelope = Envelope::new(arm, call.metadata()).expecting(call.expected_version);
    let done = app.bus.execute::<FaultBoard>(BOARD_ID, envelope).await?;
    let fault = done
        .state
        .fault(fault_id)
        .cloned()
        .ok_or_else(|| UseCaseError::Internal("armed fault missing".into()))?;
    Ok(Armed {
        fault,
        version: done.version,
        position: done.position,
    })
}
