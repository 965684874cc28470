//! The clock port. Domain code never reads the time; the command path asks a `Clock` and passes the
//! instant inside the command, so tests drive time with a virtual clock.

use chrono::{DateTime, Utc};

/// Where the command path gets the current instant: the system clock in production, a manual one in
/// tests and scenarios.
pub trait Clock: Send + Sync + 'static {
    /// The current instant, in UTC.
    fn now(&self) -> DateTime<Utc>;
}
