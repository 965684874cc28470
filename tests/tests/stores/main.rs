//! The stores' contracts: the event store on both adapters (in-memory and PostgreSQL) and the
//! process store. One test binary, one module per subject.

mod event_store_memory;
mod event_store_postgres;
mod process_store;
