//! Going down: the signal long-lived work listens for, and draining the background work within a
//! deadline.

use skyfly_commands::ProcessManager;
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The process is going down. Long-lived work (the live streams, the HTTP server) ends when it
/// is triggered; clones share one signal.
#[derive(Debug, Clone)]
pub struct Shutdown(Arc<watch::Sender<bool>>);

impl Default for Shutdown {
    fn default() -> Self {
        Self(Arc::new(watch::channel(false).0))
    }
}

impl Shutdown {
    /// Goes down: every [`Shutdown::triggered`] resolves (also those awaited later).
    pub fn trigger(&self) {
        self.0.send_replace(true);
    }

    /// Resolves once [`Shutdown::trigger`] was called.
    pub fn triggered(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut down = self.0.subscribe();
        async move {
            let _ = down.wait_for(|down| *down).await;
        }
    }
}

/// The background work [`crate::Engine::start`] started.
#[derive(Debug)]
pub struct Running {
    manager: Arc<ProcessManager>,
    process: Option<JoinHandle<()>>,
    others: Vec<JoinHandle<()>>,
}

impl Running {
    pub(crate) fn new(manager: Arc<ProcessManager>) -> Self {
        Self {
            manager,
            process: None,
            others: Vec::new(),
        }
    }

    pub(crate) fn process(&mut self, task: JoinHandle<()>) {
        self.process = Some(task);
    }

    pub(crate) fn other(&mut self, task: JoinHandle<()>) {
        self.others.push(task);
    }

    /// Stops taking work and lets the saga drives in flight finish, until `deadline` at most;
    /// then ends the rest (projectors and the relay, whose work is transactional and resumes
    /// from their checkpoints). Whether the drives finished in time: those that did not are
    /// resumed by the next worker (a step's command id is derived, so it takes effect once).
    pub async fn stop(self, deadline: Instant) -> bool {
        self.manager.stop();
        let drained = match self.process {
            Some(process) => tokio::time::timeout_at(deadline, process).await.is_ok(),
            None => true,
        };
        for task in self.others {
            task.abort();
        }
        drained
    }
}
