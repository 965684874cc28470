//! The engine in-process over PostgreSQL: the command bus, the saga and its deadlines, the
//! projections and read models (rebuilt equal to the live ones), audit, every scenario file, and
//! the seed schedules' import. One test binary, one module per subject.

mod audit;
mod command_bus;
mod projections;
mod read_models;
mod rebuild_equality;
mod saga;
mod saga_deadlines;
mod scenarios;
mod seed_import;
