//! The rules compensations and cancellation steps share: record, retry with backoff, park after
//! [`super::MAX_COMPENSATION_ATTEMPTS`] failures in a row, never drop.

use super::state::{UndoRecord, UndoStatus, Undoable};
use super::{MAX_COMPENSATION_ATTEMPTS, SagaError};

/// What an outcome report means for an undo item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum UndoDecision {
    /// Already known (a redelivered or stale report): nothing to record.
    Nothing,
    /// Record the success; `completes` when it was the last one outstanding.
    Succeeded { completes: bool },
    /// Record the failure; `park` when it was the last attempt of the round.
    Failed { park: bool },
}

fn find<T: Undoable>(items: &[UndoRecord<T>], action: T) -> Result<&UndoRecord<T>, SagaError> {
    items
        .iter()
        .find(|i| i.action == action)
        .ok_or(SagaError::NotPlanned {
            name: action.name(),
        })
}

pub(super) fn on_success<T: Undoable>(
    items: &[UndoRecord<T>],
    action: T,
    attempt: u32,
) -> Result<UndoDecision, SagaError> {
    let item = find(items, action)?;
    if item.status == UndoStatus::Succeeded {
        return Ok(UndoDecision::Nothing);
    }
    let expected = item.next_attempt();
    if attempt == 0 || attempt > expected {
        return Err(SagaError::UnexpectedAttempt {
            expected,
            got: attempt,
        });
    }
    // Any attempt's success counts, a late one too: the effect is undone either way.
    let completes = items
        .iter()
        .all(|i| i.action == action || i.status == UndoStatus::Succeeded);
    Ok(UndoDecision::Succeeded { completes })
}

pub(super) fn on_failure<T: Undoable>(
    items: &[UndoRecord<T>],
    action: T,
    attempt: u32,
) -> Result<UndoDecision, SagaError> {
    let item = find(items, action)?;
    let expected = item.next_attempt();
    if attempt == 0 || attempt > expected {
        return Err(SagaError::UnexpectedAttempt {
            expected,
            got: attempt,
        });
    }
    // Succeeded or parked already, or an earlier attempt's failure redelivered: old news.
    if item.status != UndoStatus::Pending || attempt < expected {
        return Ok(UndoDecision::Nothing);
    }
    Ok(UndoDecision::Failed {
        park: item.round_failures.saturating_add(1) >= MAX_COMPENSATION_ATTEMPTS,
    })
}
