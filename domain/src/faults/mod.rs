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
        count: Option<u32>,
        per_mille: Option<u16>,
    },
    /// Delay each command of the step by `delay_ms`.
    Delay { delay_ms: u32 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event_type", content = "payload")]
pub enum FaultEvent {
    FaultArmed {
        fault_id: Uuid,
        step: SagaStep,
        mode: FaultMode,
        armed_at: DateTime<Utc>,
    },
    FaultTriggered {
        fault_id: Uuid,
        step: SagaStep,
        booking_id: BookingId,
        triggered_at: DateTime<Utc>,
    },
    FaultDisarmed {
        fault_id: Uuid,
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArmFault {
    pub fault_id: Uuid,
    pub step: SagaStep,
    pub mode: FaultMode,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DisarmFault {
    pub fault_id: Uuid,
    pub at: DateTime<Utc>,
}

/// Records that a failing fault fired for a booking's step (counts down `count`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TriggerFault {
    pub fault_id: Uuid,
    pub booking_id: BookingId,
    pub at: DateTime<Utc>,
}

command_enum! {
    /// Every command the fault board accepts.
    pub enum FaultCommand {
        ArmFault,
        DisarmFault,
        TriggerFault,
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    #[error("delay_ms must be 1 to 60000")]
    InvalidDelay,
    #[error("count must be at least 1")]
    InvalidCount,
    #[error("probability must be between 0 and 1")]
    InvalidProbability,
    #[error("a fault with this id is already armed")]
    AlreadyArmed,
    #[error("no such fault")]
    NotFound,
    #[error("the fault is no longer armed")]
    NotArmed,
}

impl FaultError {
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
    pub fault_id: Uuid,
    pub step: SagaStep,
    pub mode: FaultMode,
    pub armed_at: DateTime<Utc>,
    pub triggered: u32,
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
    Fail { fault_id: Uuid },
    /// Delay it.
    Delay { delay_ms: u32 },
}

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
