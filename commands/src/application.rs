//! The application: what every use case works with, wired once by the engine builder.

use crate::{CommandBus, DomainRefusal, Envelope, Executed, ProcessManager};
use crate::{UseCaseError, UseCaseResult};
use chrono::{DateTime, Utc};
use skyfly_domain::Aggregate;
use skyfly_domain::card::PaymentProvider;
use skyfly_domain::event::{Actor, Metadata};
use skyfly_domain::identity::{CredentialStore, Role};
use skyfly_domain::ids::{CommandId, UserId};
use skyfly_domain::place::{Airport, Iata};
use std::collections::BTreeMap;
use std::sync::Arc;

/// The ports and services the use cases run on. Cheap to clone.
#[derive(Clone)]
pub struct Application {
    /// The command path (load, decide, append) shared with the process managers.
    pub bus: Arc<CommandBus>,
    /// Drives the booking sagas; use cases that start or change one queue it here.
    pub process: Arc<ProcessManager>,
    /// The card processor.
    pub payments: Arc<dyn PaymentProvider>,
    /// Password hashes and refresh tokens.
    pub credentials: Arc<dyn CredentialStore>,
    /// The airports flights may be scheduled between.
    pub airports: Arc<BTreeMap<Iata, Airport>>,
    /// The read models, for the operations staff run on them (status, rebuild).
    pub read_models: Arc<dyn crate::read_models::ReadModels>,
}

impl std::fmt::Debug for Application {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Application")
            .field("airports", &self.airports.len())
            .finish_non_exhaustive()
    }
}

impl Application {
    /// The engine's time (the injected clock).
    pub fn now(&self) -> DateTime<Utc> {
        self.bus.clock().now()
    }

    /// Runs a command on an aggregate that must already exist, as `call` (its metadata, the
    /// version it expects): loads the aggregate, answers `missing` unless `exists` holds, builds
    /// the command at the engine's time and executes it.
    pub(crate) async fn execute_existing<A>(
        &self,
        call: &Call,
        id: impl std::fmt::Display + Copy + Send,
        exists: impl FnOnce(&A) -> bool + Send,
        missing: impl FnOnce() -> UseCaseError + Send,
        command: impl FnOnce(DateTime<Utc>) -> A::Command + Send,
    ) -> UseCaseResult<Executed<A>>
    where
        A: Aggregate,
        A::Error: DomainRefusal,
    {
        let (current, _) = self.bus.load::<A>(id).await?;
        if !exists(&current) {
            return Err(missing());
        }
        let envelope =
            Envelope::new(command(self.now()), call.metadata()).expecting(call.expected_version);
        Ok(self.bus.execute::<A>(id, envelope).await?)
    }
}

/// An authenticated user calling a use case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caller {
    /// Who.
    pub user_id: UserId,
    /// As what.
    pub role: Role,
}

impl Caller {
    /// Whether the caller is staff.
    pub fn is_staff(&self) -> bool {
        self.role == Role::Staff
    }

    /// The caller as recorded in events' metadata.
    pub fn actor(&self) -> Actor {
        Actor::User {
            user_id: self.user_id.0,
            role: self.role.as_str().to_owned(),
        }
    }
}

/// What identifies one invocation of a use case: its command id (derived by the adapter from an
/// idempotency key, or fresh), who runs it, and the version the caller expects (`If-Match`).
#[derive(Debug, Clone)]
pub struct Call {
    /// The command's id: a redelivered command with the same id takes effect once.
    pub command_id: CommandId,
    /// Who runs it.
    pub actor: Actor,
    /// The version the target aggregate must be at, if the caller said so.
    pub expected_version: Option<u64>,
}

impl Call {
    /// A call by `actor` with `command_id`, expecting no particular version.
    pub fn new(command_id: CommandId, actor: Actor) -> Self {
        Self {
            command_id,
            actor,
            expected_version: None,
        }
    }

    /// A call by an authenticated user.
    pub fn by(caller: &Caller, command_id: CommandId) -> Self {
        Self::new(command_id, caller.actor())
    }

    /// Requires the target aggregate to be at `version` (if given).
    pub fn expecting(mut self, version: Option<u64>) -> Self {
        self.expected_version = version;
        self
    }

    /// The metadata of the call's command, starting a conversation of its own.
    pub fn metadata(&self) -> Metadata {
        Metadata::new(self.command_id, self.actor.clone())
    }

    /// The metadata of the call's command within the conversation `correlation_id`.
    pub fn metadata_in(&self, correlation_id: uuid::Uuid) -> Metadata {
        Metadata {
            correlation_id,
            ..self.metadata()
        }
    }
}
