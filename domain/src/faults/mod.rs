//! Fault injection (`FaultBoard`, one stream `faults-board`): staff arm faults per saga step so that
//! compensation can be demonstrated and tested on a running engine.
//!
//! Faults are state like any other: arming, every time one fires, and disarming are events, so an
//! auditor sees exactly which booking failed because of which fault. A fault either fails the next
//! `count` commands of its step, fails each with a probability, or delays them. Whether a
//! probabilistic fault fires is decided from a roll the caller derives deterministically (saga id,
//! step, attempt), so a replay or a redelivery decides the same way.

use crate::aggregate::{Aggregate, DomainEvent};
use crate::booking::SagaStep;
use crate::ids::BookingId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The one stream all faults live in.
pub const BOARD_ID: &str = "board";

/// What an armed fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum FaultMode {
    /// Fail the next `count` commands of the step (all of them while armed if `None`), each with
    /// probability `per_mille`/1000 (always if `None`).
    Fail {
        /// How many commands to fail before the fault is used up (at least 1); `None`: every
        /// command while armed.
        count: Option<u32>,
        /// The chance that each command fails, in thousandths (0 to 1000); `None`: always.
        per_mille: Option<u16>,
    },
    /// Delay each command of the step by `delay_ms`.
    Delay {
        /// How long each command waits, in milliseconds (1 to 60,000).
        delay_ms: u32,
    },
}

/// What happened on the fault board.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum FaultEvent {
    /// Staff armed a fault on a saga step.
    FaultArmed {
        /// The fault, named by staff.
        fault_id: Uuid,
        /// The saga step it applies to.
        step: SagaStep,
        /// What it does.
        mode: FaultMode,
        /// When it was armed.
        armed_at: DateTime<Utc>,
    },
    /// A failing fault fired: it failed a booking's step.
    FaultTriggered {
        /// The fault that fired.
        fault_id: Uuid,
        /// The step it failed.
        step: SagaStep,
        /// The booking whose step failed.
        booking_id: BookingId,
        /// When it fired.
        triggered_at: DateTime<Utc>,
    },
    /// Staff disarmed a fault: it no longer applies.
    FaultDisarmed {
        /// The fault.
        fault_id: Uuid,
        /// When it was disarmed.
        disarmed_at: DateTime<Utc>,
    },
}

impl DomainEvent for FaultEvent {
    fn event_type(&self) -> &'static str {
        match self {
            FaultEvent::FaultArmed { .. } => "FaultArmed",
            FaultEvent::FaultTriggered { .. } => "FaultTriggered",
            FaultEvent::FaultDisarmed { .. } => "FaultDisarmed",
        }
    }
}

/// Arms a fault on a saga step; arming the same fault again with the same step and mode is a no-op.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmFault {
    /// The fault, named by staff.
    pub fault_id: Uuid,
    /// The saga step it applies to.
    pub step: SagaStep,
    /// What it does: fail (a count and a probability) or delay.
    pub mode: FaultMode,
    /// When it is armed.
    pub at: DateTime<Utc>,
}

/// Disarms a fault; disarming it again is a no-op.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisarmFault {
    /// The fault to disarm.
    pub fault_id: Uuid,
    /// When it is disarmed.
    pub at: DateTime<Utc>,
}

/// Records that a failing fault fired for a booking's step (counts down `count`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggerFault {
    /// The fault that fired; refused unless it is still armed and not used up.
    pub fault_id: Uuid,
    /// The booking whose step it failed.
    pub booking_id: BookingId,
    /// When it fired.
    pub at: DateTime<Utc>,
}

command_enum! {
    /// Every command the fault board accepts.
    pub enum FaultCommand {
        /// Arm a fault on a saga step.
        ArmFault,
        /// Disarm a fault.
        DisarmFault,
        /// Record that a failing fault fired.
        TriggerFault,
    }
}

/// Why the fault board refuses a command; each refusal has a stable [`code`](Self::code).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    /// A delay is not 1 to 60,000 ms (`invalid_delay`).
    #[error("delay_ms must be 1 to 60000")]
    InvalidDelay,
    /// A count of 0 failures (`invalid_count`).
    #[error("count must be at least 1")]
    InvalidCount,
    /// A probability above 1, i.e. more than 1000 thousandths (`invalid_probability`).
    #[error("probability must be between 0 and 1")]
    InvalidProbability,
    /// A fault with this id was already armed, with another step or mode (`already_armed`).
    #[error("a fault with this id is already armed")]
    AlreadyArmed,
    /// No fault was armed with this id (`not_found`).
    #[error("no such fault")]
    NotFound,
    /// The fault was disarmed or used up: it can no longer fire (`not_armed`).
    #[error("the fault is no longer armed")]
    NotArmed,
}

impl FaultError {
    /// A stable machine-readable code (part of the API: never change one).
    pub fn code(&self) -> &'static str {
        match self {
            FaultError::InvalidDelay => "invalid_delay",
            FaultError::InvalidCount => "invalid_count",
            FaultError::InvalidProbability => "invalid_probability",
            FaultError::AlreadyArmed => "already_armed",
            FaultError::NotFound => "not_found",
            FaultError::NotArmed => "not_armed",
        }
    }

    /// The request field the error is about, when it is about one.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            FaultError::InvalidDelay => Some("delay_ms"),
            FaultError::InvalidCount => Some("count"),
            FaultError::InvalidProbability => Some("probability"),
            FaultError::AlreadyArmed | FaultError::NotFound | FaultError::NotArmed => None,
        }
    }
}

/// One fault and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// The fault, named by staff.
    pub fault_id: Uuid,
    /// The saga step it applies to.
    pub step: SagaStep,
    /// What it does.
    pub mode: FaultMode,
    /// When it was armed.
    pub armed_at: DateTime<Utc>,
    /// How many times it has fired.
    pub triggered: u32,
    /// When it was disarmed, if it was.
    pub disarmed_at: Option<DateTime<Utc>>,
}

impl Fault {
    /// Armed and not used up.
    pub fn is_active(&self) -> bool {
        self.disarmed_at.is_none()
            && match self.mode {
                FaultMode::Fail { count: Some(n), .. } => self.triggered < n,
                _ => true,
            }
    }

    /// How many more times a counted failing fault can fire; `None` when it is not counted.
    pub fn remaining(&self) -> Option<u32> {
        match self.mode {
            FaultMode::Fail { count: Some(n), .. } => Some(n.saturating_sub(self.triggered)),
            _ => None,
        }
    }
}

/// What the armed faults do to one command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultEffect {
    /// Fail it, recording `TriggerFault` for this fault.
    Fail {
        /// The fault that fails it.
        fault_id: Uuid,
    },
    /// Delay it.
    Delay {
        /// How long to wait, in milliseconds.
        delay_ms: u32,
    },
}

/// The faults staff armed, on the one stream `faults-board`. `Default` is a board with no fault.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultBoard {
    faults: BTreeMap<Uuid, Fault>,
}

impl FaultBoard {
    /// Every fault ever armed, oldest first.
    pub fn faults(&self) -> impl Iterator<Item = &Fault> {
        let mut all: Vec<_> = self.faults.values().collect();
        all.sort_by_key(|f| (f.armed_at, f.fault_id));
        all.into_iter()
    }

    /// The fault `id`, if it was ever armed.
    pub fn fault(&self, id: Uuid) -> Option<&Fault> {
        self.faults.get(&id)
    }

    /// The effects on a command of `step`. `roll` is in 0..1000, derived by the caller from the
    /// saga, step and attempt so that the answer is reproducible. At most one failing fault
    /// fires (the oldest that applies); delays add up.
    pub fn effects(&self, step: SagaStep, roll: u16) -> Vec<FaultEffect> {
        let mut effects = Vec::new();
        let mut failed = false;
        for f in self.faults().filter(|f| f.step == step && f.is_active()) {
            match f.mode {
                FaultMode::Delay { delay_ms } => effects.push(FaultEffect::Delay { delay_ms }),
                FaultMode::Fail { per_mille, .. } if !failed => {
                    if per_mille.is_none_or(|p| roll < p) {
                        failed = true;
                        effects.push(FaultEffect::Fail {
                            fault_id: f.fault_id,
                        });
                    }
                }
                FaultMode::Fail { .. } => {}
            }
        }
        effects
    }
}

impl Aggregate for FaultBoard {
    const CATEGORY: &'static str = "faults";
    type Event = FaultEvent;
    type Command = FaultCommand;
    type Error = FaultError;

    fn evolve(&mut self, event: &FaultEvent) {
        match event {
            FaultEvent::FaultArmed {
                fault_id,
                step,
                mode,
                armed_at,
            } => {
                self.faults.insert(
                    *fault_id,
                    Fault {
                        fault_id: *fault_id,
                        step: *step,
                        mode: *mode,
                        armed_at: *armed_at,
                        triggered: 0,
                        disarmed_at: None,
                    },
                );
            }
            FaultEvent::FaultTriggered { fault_id, .. } => {
                if let Some(f) = self.faults.get_mut(fault_id) {
                    f.triggered = f.triggered.saturating_add(1);
                }
            }
            FaultEvent::FaultDisarmed {
                fault_id,
                disarmed_at,
            } => {
                if let Some(f) = self.faults.get_mut(fault_id) {
                    f.disarmed_at = Some(*disarmed_at);
                }
            }
        }
    }

    fn decide(&self, command: &FaultCommand) -> Result<Vec<FaultEvent>, FaultError> {
        match command {
            FaultCommand::ArmFault(c) => {
                match c.mode {
                    FaultMode::Delay { delay_ms } if !(1..=60_000).contains(&delay_ms) => {
                        return Err(FaultError::InvalidDelay);
                    }
                    FaultMode::Fail { count: Some(0), .. } => return Err(FaultError::InvalidCount),
                    FaultMode::Fail {
                        per_mille: Some(p), ..
                    } if p > 1000 => return Err(FaultError::InvalidProbability),
                    _ => {}
                }
                if let Some(existing) = self.faults.get(&c.fault_id) {
                    return if existing.step == c.step && existing.mode == c.mode {
                        Ok(vec![])
                    } else {
                        Err(FaultError::AlreadyArmed)
                    };
                }
                Ok(vec![FaultEvent::FaultArmed {
                    fault_id: c.fault_id,
                    step: c.step,
                    mode: c.mode,
                    armed_at: c.at,
                }])
            }
            FaultCommand::DisarmFault(c) => {
                let f = self.faults.get(&c.fault_id).ok_or(FaultError::NotFound)?;
                if f.disarmed_at.is_some() {
                    return Ok(vec![]);
                }
                Ok(vec![FaultEvent::FaultDisarmed {
                    fault_id: c.fault_id,
                    disarmed_at: c.at,
                }])
            }
            FaultCommand::TriggerFault(c) => {
                let f = self.faults.get(&c.fault_id).ok_or(FaultError::NotFound)?;
                if !f.is_active() {
                    return Err(FaultError::NotArmed);
                }
                Ok(vec![FaultEvent::FaultTriggered {
                    fault_id: c.fault_id,
                    step: f.step,
                    booking_id: c.booking_id,
                    triggered_at: c.at,
                }])
            }
        }
    }
}

/// A reproducible roll in 0..1000 for a saga's step attempt.
pub fn roll(booking: BookingId, step: SagaStep, attempt: u32) -> u16 {
    let name = format!("{booking}/{}/{attempt}", step.as_str());
    let id = Uuid::new_v5(&crate::ids::SKYFLY_NAMESPACE, name.as_bytes());
    u16::try_from(id.as_u128() % 1000).unwrap_or(0)
}

#[cfg(test)]
mod tests;
