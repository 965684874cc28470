//! `EndSaga`: the booking was told the outcome; the saga reaches its terminal state.

use super::events::SagaEvent;
use super::state::Phase;
use super::{BookingSaga, SagaError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Sent after the process manager performed `Finish(outcome)` on the booking. Keeping the end a
/// step of its own means a crash between the two simply finishes again (the booking's end
/// commands are idempotent), and a saga is only terminal once its booking is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EndSaga {
    /// When the booking had been told the outcome.
    pub at: DateTime<Utc>,
}

pub(super) fn decide(state: &BookingSaga, cmd: &EndSaga) -> Result<Vec<SagaEvent>, SagaError> {
    let s = state.state().ok_or(SagaError::NotFound)?;
    match &s.phase {
        Phase::Finishing(outcome) => Ok(vec![SagaEvent::SagaEnded {
            outcome: outcome.clone(),
            at: cmd.at,
        }]),
        Phase::Ended(_) => Ok(vec![]),
        Phase::Running | Phase::Compensating | Phase::Cancelling => {
            Err(SagaError::NotFinished { status: s.status() })
        }
    }
}
