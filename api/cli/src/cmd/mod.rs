//! One module per subcommand.

pub mod bench;
pub mod events;
pub mod import;
pub mod migrate;
pub mod projections;
pub mod scenario;
pub mod serve;
pub mod staff;
