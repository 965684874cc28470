//! Sagas for staff: one saga's state, steps, compensations and parked items; a list by status;
//! and a retry of parked compensations (the use case is `skyfly_commands::sagas::retry`).

use crate::auth::Staff;
use crate::error::{ApiError, Problem};
use crate::extract::{Path, Query};
use crate::routes::queries::{caught_up, positions, with_position};
use crate::routes::{json_ok, path_param};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use skyfly_commands::Call;
use skyfly_commands::sagas::{self, RetryParkedItems};
use skyfly_domain::ids::{BookingId, CommandId};
use skyfly_domain::saga::{BookingSaga, StepOutcome, UndoStatus};
use skyfly_projections::documents::{self, DocumentModel};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// One attempt at a forward step of a booking saga.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    /// The saga step attempted.
    pub step: String,
    /// The attempt's number, from 1.
    pub attempt: u32,
    /// `succeeded | failed | timed_out | in_flight`
    pub outcome: String,
    /// Why the attempt failed, if it did.
    pub reason: Option<String>,
    /// When the attempt started.
    pub started_at: DateTime<Utc>,
    /// When the attempt times out.
    pub deadline: DateTime<Utc>,
    /// When the attempt ended, if it has.
    pub ended_at: Option<DateTime<Utc>>,
}

/// An undo action of a compensation or a cancellation.
#[derive(Debug, Serialize, ToSchema)]
pub struct UndoView {
    /// The action to undo with.
    pub action: String,
    /// `pending | succeeded | parked`
    pub status: String,
    /// How many times the action has failed.
    pub failures: u32,
    /// The action's last error, if any.
    pub last_error: Option<String>,
    /// When the action succeeded, if it has.
    pub succeeded_at: Option<DateTime<Utc>>,
    /// When the action was parked, if it was.
    pub parked_at: Option<DateTime<Utc>>,
}

/// An entry of a saga's timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineView {
    /// What happened.
    pub kind: String,
    /// The step, compensation or cancellation step concerned; `saga` for the whole saga.
    pub name: String,
    /// The attempt concerned, when there is one.
    pub attempt: Option<u32>,
    /// A reason, a deadline or a plan, if any.
    pub detail: Option<String>,
    /// When it happened.
    pub at: DateTime<Utc>,
}

/// A booking saga: its steps, undo actions and timeline.
#[derive(Debug, Serialize, ToSchema)]
pub struct SagaView {
    /// The saga's id (the same as its booking's id).
    pub saga_id: Uuid,
    /// The booking the saga runs.
    pub booking_id: Uuid,
    /// `running | compensating | parked | cancelling | confirmed | rejected | failed | cancelled`
    pub status: String,
    /// The step in progress, if any.
    pub current_step: Option<String>,
    /// When the step in progress times out, if one is.
    pub deadline: Option<DateTime<Utc>>,
    /// How the saga ended, once it has.
    pub outcome: Option<String>,
    /// Every attempt at a forward step, in order.
    pub steps: Vec<AttemptView>,
    /// The compensation's undo actions, if the saga compensated.
    pub compensations: Vec<UndoView>,
    /// The cancellation's undo actions, if the booking is being or was cancelled.
    pub cancellation: Vec<UndoView>,
    /// The parked undo actions, of the compensation and the cancellation.
    pub parked: Vec<UndoView>,
    /// The saga's timeline, in order.
    pub timeline: Vec<TimelineView>,
    /// The saga aggregate's version.
    pub version: u64,
}

fn undo_views<T: std::fmt::Display + Copy>(
    items: &[skyfly_domain::saga::UndoRecord<T>],
) -> Vec<UndoView> {
    items
        .iter()
        .map(|i| UndoView {
            action: i.action.to_string(),
            status: match i.status {
                UndoStatus::Pending => "pending",
                UndoStatus::Succeeded => "succeeded",
                UndoStatus::Parked => "parked",
            }
            .to_owned(),
            failures: i.failures,
            last_error: i.last_error.clone(),
            succeeded_at: i.succeeded_at,
            parked_at: i.parked_at,
        })
        .collect()
}

impl SagaView {
    fn of(saga: &BookingSaga, version: u64) -> Option<Self> {
        let s = saga.state()?;
        let compensations = saga
            .compensation()
            .map(|c| undo_views(&c.items))
            .unwrap_or_default();
        let cancellation = saga
            .cancellation()
            .map(|c| undo_views(&c.items))
            .unwrap_or_default();
        let parked = compensations
            .iter()
            .chain(&cancellation)
            .filter(|u| u.status == "parked")
            .map(|u| UndoView {
                action: u.action.clone(),
                status: u.status.clone(),
                failures: u.failures,
                last_error: u.last_error.clone(),
                succeeded_at: u.succeeded_at,
                parked_at: u.parked_at,
            });
        let parked = parked.collect();
        Some(Self {
            saga_id: s.booking_id.0,
            booking_id: s.booking_id.0,
            status: saga
                .status()
                .map(|st| st.as_str().to_owned())
                .unwrap_or_default(),
            current_step: saga.current_step().map(|st| st.as_str().to_owned()),
            deadline: saga.deadline(),
            outcome: saga.outcome().map(ToString::to_string),
            steps: saga
                .attempts()
                .iter()
                .map(|a| {
                    let (outcome, reason) = match &a.outcome {
                        None => ("in_flight", None),
                        Some(StepOutcome::Succeeded) => ("succeeded", None),
                        Some(StepOutcome::Failed { reason, .. }) => {
                            ("failed", Some(reason.clone()))
                        }
                        Some(StepOutcome::TimedOut) => ("timed_out", None),
                    };
                    AttemptView {
                        step: a.step.as_str().to_owned(),
                        attempt: a.attempt,
                        outcome: outcome.to_owned(),
                        reason,
                        started_at: a.started_at,
                        deadline: a.deadline,
                        ended_at: a.ended_at,
                    }
                })
                .collect(),
            compensations,
            cancellation,
            parked,
            timeline: saga
                .timeline()
                .iter()
                .map(|t| TimelineView {
                    kind: t.kind.as_str().to_owned(),
                    name: t.name.clone(),
                    attempt: t.attempt,
                    detail: t.detail.clone(),
                    at: t.at,
                })
                .collect(),
            version,
        })
    }
}

fn saga_id(raw: &str) -> Result<BookingId, ApiError> {
    path_param("saga_id", raw, |s| Uuid::parse_str(s).ok().map(BookingId))
        .map_err(|_| ApiError::not_found("saga"))
}

/// Query parameters of a saga.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SagaQuery {
    /// Read-your-writes: wait (at most 5 s) until the sagas read model reached this position.
    pub min_position: Option<u64>,
}

#[utoipa::path(get, path = "/api/v1/admin/sagas/{saga_id}", tag = "operations", security(("bearer" = [])),
    params(("saga_id" = Uuid, Path), SagaQuery),
    responses((status = 200, body = SagaView), (status = 404, body = Problem)))]
/// A booking saga, in full.
pub async fn get_saga(
    State(state): State<AppState>,
    Staff(_caller): Staff,
    Path(raw): Path<String>,
    Query(q): Query<SagaQuery>,
) -> Result<Response, ApiError> {
    let id = saga_id(&raw)?;
    let names = [READ_MODEL];
    let mut at = positions(&state, &names, q.min_position).await?;
    let mut found = documents::load::<BookingSaga>(&state.pool, &id.to_string()).await?;
    if found.is_none()
        && let Some(now) = caught_up(&state, &names, at).await?
    {
        at = now;
        found = documents::load::<BookingSaga>(&state.pool, &id.to_string()).await?;
    }
    let view = found
        .and_then(|d| SagaView::of(&d.state, d.version))
        .ok_or_else(|| ApiError::not_found("saga"))?;
    Ok(with_position(json_ok(&view), at))
}

/// Filters and pagination of the saga list.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SagaFilter {
    /// One of the saga statuses.
    pub status: Option<String>,
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<i64>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<u64>,
    /// Read-your-writes: wait (at most 5 s) until the sagas read model reached this position.
    pub min_position: Option<u64>,
}

/// A page of sagas.
#[derive(Debug, Serialize, ToSchema)]
pub struct SagaList {
    /// Newest first.
    pub sagas: Vec<SagaView>,
    /// The cursor of the next page, or `null` on the last page.
    pub next_cursor: Option<u64>,
    /// Whether another page follows (then `next_cursor` is where it starts).
    pub has_more: bool,
}

const STATUSES: [&str; 8] = [
    "running",
    "compensating",
    "parked",
    "cancelling",
    "confirmed",
    "rejected",
    "failed",
    "cancelled",
];

/// The sagas read model: each saga folded into a document (`skyfly_projections::documents`).
const READ_MODEL: &str = <BookingSaga as DocumentModel>::TABLE;

#[utoipa::path(get, path = "/api/v1/admin/sagas", operation_id = "list_sagas", tag = "operations", security(("bearer" = [])), params(SagaFilter),
    responses((status = 200, body = SagaList), (status = 422, body = Problem)))]
/// A page of booking sagas, filtered by status.
pub async fn list(
    State(state): State<AppState>,
    Staff(_caller): Staff,
    Query(filter): Query<SagaFilter>,
) -> Result<Response, ApiError> {
    if let Some(s) = &filter.status
        && !STATUSES.contains(&s.as_str())
    {
        return Err(ApiError::field(
            "status",
            "invalid_field",
            format!("one of {}", STATUSES.join(", ")),
        ));
    }
    let limit = crate::routes::page_limit(filter.limit, 50, 200)?;
    let at = positions(&state, &[READ_MODEL], filter.min_position).await?;
    let page = documents::list::<BookingSaga>(
        &state.pool,
        &documents::DocumentFilter {
            status: filter.status,
            before: filter.cursor,
            limit,
        },
    )
    .await?;
    let sagas = page
        .rows
        .iter()
        .filter_map(|d| SagaView::of(&d.state, d.version))
        .collect();
    let list = SagaList {
        sagas,
        has_more: page.has_more(),
        next_cursor: page.next_cursor,
    };
    Ok(with_position(json_ok(&list), at))
}

#[utoipa::path(post, path = "/api/v1/admin/sagas/{saga_id}/retry", tag = "operations", security(("bearer" = [])),
    params(("saga_id" = Uuid, Path)),
    responses((status = 202, description = "parked items are retried"), (status = 404, body = Problem), (status = 409, body = Problem)))]
/// Gives every parked undo action of a saga a fresh round.
pub async fn retry(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let command = RetryParkedItems {
        saga_id: saga_id(&raw)?,
    };
    let call = Call::by(&caller, CommandId(Uuid::now_v7()));
    sagas::retry(&state.app, &call, command).await?;
    Ok(StatusCode::ACCEPTED.into_response())
}
