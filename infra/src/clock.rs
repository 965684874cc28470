//! Clocks: the system clock for production, a manual clock for tests and scenarios.

use chrono::{DateTime, Duration, Utc};
use skyfly_domain::clock::Clock;
use std::sync::{Arc, Mutex};
use tokio::sync::watch;

/// The machine's clock ([`Utc::now`]), for production.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to. Waiters can watch it to react to advances.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
    tick: Arc<watch::Sender<DateTime<Utc>>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
            tick: Arc::new(watch::channel(start).0),
        }
    }

    /// Moves the clock forward by `by`, tells its watchers, and returns the new time.
    pub fn advance(&self, by: Duration) -> DateTime<Utc> {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *now += by;
        self.tick.send_replace(*now);
        *now
    }

    /// Puts the clock at `to` (forward or back) and tells its watchers.
    pub fn set(&self, to: DateTime<Utc>) {
        let mut now = self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *now = to;
        self.tick.send_replace(to);
    }

    /// Changes whenever the clock is moved.
    pub fn watch(&self) -> watch::Receiver<DateTime<Utc>> {
        self.tick.subscribe()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self
            .now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
