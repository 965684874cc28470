//! Retry a saga's parked compensations: they become pending again and the process manager
//! takes them up.

use crate::{Application, Call, CommandError, Envelope, Executed, RefusalKind};
use crate::{UseCaseError, UseCaseResult};
use skyfly_domain::ids::BookingId;
use skyfly_domain::saga::{BookingSaga, RetryParked, SagaCommand};

/// Retry what a saga parked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryParkedItems {
    /// The saga (named by its booking).
    pub saga_id: BookingId,
}

/// Makes the parked items pending again and queues the saga. `not_found` if there is no such
/// saga; any refusal by the saga (`nothing_parked`, …) is a conflict with its state.
pub async fn retry(
    app: &Application,
    call: &Call,
    command: RetryParkedItems,
) -> UseCaseResult<Executed<BookingSaga>> {
    let id = command.saga_id;
    let (saga, _) = app.bus.load::<BookingSaga>(id).await?;
    if saga.state().is_none() {
        return Err(UseCaseError::NotFound("saga"));
    }
    let retry = SagaCommand::RetryParked(RetryParked { at: app.now() });
    let envelope = Envelope::new(retry, call.metadata()).expecting(call.expected_version);
    let done = match app.bus.execute::<BookingSaga>(id, envelope).await {
        Ok(done) => done,
        Err(CommandError::Rejected(e)) => {
            return Err(UseCaseError::refused(
                RefusalKind::Conflict,
                e.code(),
                None,
                &e,
            ));
        }
        Err(e) => return Err(e.into()),
    };
    app.process.enqueue(id).await?;
    Ok(done)
}
