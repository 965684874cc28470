//! The clock port. Domain code never reads the time; the command path asks a `Clock` and passes the
//! instant inside the command, so tests drive time with a virtual clock.

use chrono::{DateTime, Utc};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}
