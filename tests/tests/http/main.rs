//! The HTTP API in-process (router over a fresh database, manual clock): the write side, queries,
//! payments and loyalty, faults. One test binary, one module per subject.

mod edge;
mod faults;
mod idempotency;
mod openapi;
mod payments_loyalty;
mod queries;
mod schedule_import;
mod write_side;
