//! Real processes: the `skyfly` binary (CLI and server), SIGKILLs during sagas and projector
//! backlogs, two workers sharing sagas, and NATS servers of the tests' own. One test binary, one
//! module per subject.

mod binary;
mod crash_recovery;
mod nats;
mod operability;
mod projector_crash;
mod scale_out;
