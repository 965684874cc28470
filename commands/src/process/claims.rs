//! Which sagas this worker drives: its claims in the process store (renewed while it lives), the
//! set of sagas it is driving, and handing due sagas to drive slots.

use super::ProcessManager;
use futures::StreamExt;
use skyfly_domain::ids::BookingId;
use skyfly_domain::store::StoreError;
use std::collections::HashSet;
use std::sync::{Arc, MutexGuard};
use std::time::Duration;

/// How often a worker renews its claims on the sagas it drives (well inside the store's lease).
const RENEW_CLAIMS_EVERY: Duration = Duration::from_secs(2);

impl ProcessManager {
    /// Renews this worker's claims on the sagas it drives, forever (`run` aborts it).
    pub(super) async fn renew_claims(&self) {
        loop {
            if let Err(e) = self.process.renew_claims().await {
                tracing::warn!(error = %e, "could not renew the claims on sagas");
            }
            tokio::time::sleep(RENEW_CLAIMS_EVERY).await;
        }
    }

    /// The sagas this worker is driving now.
    fn driving(&self) -> MutexGuard<'_, HashSet<BookingId>> {
        self.driving
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Drives every saga due now; returns how many were driven.
    pub async fn run_due(&self) -> Result<usize, StoreError> {
        let expired = self.expire_holds().await? + self.expire_miles().await?;
        let due = self.process.due(self.now(), 256).await?;
        let mine: Vec<_> = {
            let mut driving = self.driving();
            due.into_iter().filter(|id| driving.insert(*id)).collect()
        };
        let count = mine.len() + expired;
        futures::stream::iter(mine)
            .for_each_concurrent(self.concurrency, |id| self.drive_claimed(id))
            .await;
        Ok(count)
    }

    /// Drives a saga this worker claimed, then lets go of it.
    async fn drive_claimed(&self, id: BookingId) {
        if let Err(e) = self.drive(id).await {
            tracing::warn!(saga = %id, error = %e, "saga step failed to run; retrying shortly");
            let _ = self
                .process
                .schedule(id, Some(self.now() + chrono::Duration::seconds(1)))
                .await;
        }
        if let Err(e) = self.process.release(id).await {
            // The claim lapses by itself; another worker (or this one) takes it then.
            tracing::warn!(saga = %id, error = %e, "could not release the saga's claim");
        }
        self.driving().remove(&id);
        // Its next wake-up may be due already, and a drive slot is free.
        self.wake.notify_one();
    }

    /// Starts a drive for every due saga this worker is not driving yet, as far as free drive
    /// slots allow, without waiting for them to end (a slow saga holds up no other). Returns how
    /// many drives started and expiries ran.
    pub(super) async fn dispatch_due(
        self: &Arc<Self>,
        slots: &Arc<tokio::sync::Semaphore>,
    ) -> Result<usize, StoreError> {
        let expired = self.expire_holds().await? + self.expire_miles().await?;
        let free = slots.available_permits();
        if free == 0 {
            return Ok(expired);
        }
        let in_flight = self.driving().len();
        // What this worker is driving is still due (and claimed by it): ask for that many more.
        let due = self.process.due(self.now(), free + in_flight).await?;
        let mine: Vec<_> = {
            let mut driving = self.driving();
            due.into_iter()
                .filter(|id| driving.insert(*id))
                .take(free)
                .collect()
        };
        for id in &mine {
            let Ok(slot) = Arc::clone(slots).try_acquire_owned() else {
                self.driving().remove(id);
                continue;
            };
            let this = Arc::clone(self);
            let id = *id;
            tokio::spawn(async move {
                this.drive_claimed(id).await;
                drop(slot);
            });
        }
        Ok(mine.len() + expired)
    }
}
