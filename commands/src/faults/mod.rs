//! Fault injection use cases (staff): arm a fault on a saga step, list the faults, disarm one.
//! Faults are events on the fault board's stream (`faults-board`); the process manager consults
//! the board before each step.

mod arm;
mod disarm;
mod list;

#[cfg(test)]
mod tests;

pub use arm::{Arm, Armed, FaultKind, arm, fault_id_for};
pub use disarm::{Disarm, disarm};
pub use list::list;
