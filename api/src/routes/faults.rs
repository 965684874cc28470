//! Fault injection (staff): arm, list, disarm. Faults are events on the `faults-board` stream.

use crate::auth::Staff;
use crate::error::{ApiError, Problem};
use crate::extract::{IdempotencyKey, JsonBody};
use crate::idempotency;
use crate::routes::{command_metadata, created, json_ok, path_param};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use skyfly_commands::Envelope;
use skyfly_domain::booking::SagaStep;
use skyfly_domain::faults::{
    ArmFault, BOARD_ID, DisarmFault, Fault, FaultBoard, FaultCommand, FaultMode,
};
use skyfly_domain::ids::SKYFLY_NAMESPACE;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModeName {
    Fail,
    Delay,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArmRequest {
    /// `reserve_seats | redeem_miles | authorize_payment | award_miles | confirm_booking`
    #[schema(value_type = String, example = "authorize_payment")]
    pub step: SagaStep,
    pub mode: ModeName,
    /// `fail`: how many commands to fail (every one while armed if absent).
    pub count: Option<u32>,
    /// `fail`: the probability of failing each command, 0 to 1 (always if absent).
    pub probability: Option<f64>,
    /// `delay`: milliseconds to add to each command.
    pub delay_ms: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FaultView {
    pub fault_id: Uuid,
    pub step: String,
    /// `fail | delay`
    pub mode: String,
    pub count: Option<u32>,
    pub probability: Option<f64>,
    pub delay_ms: Option<u32>,
    pub triggered: u32,
    pub remaining: Option<u32>,
    pub active: bool,
    pub armed_at: DateTime<Utc>,
    pub disarmed_at: Option<DateTime<Utc>>,
}

impl From<&Fault> for FaultView {
    fn from(f: &Fault) -> Self {
        let (mode, count, probability, delay_ms) = match f.mode {
            FaultMode::Fail { count, per_mille } => (
                "fail",
                count,
                per_mille.map(|p| f64::from(p) / 1000.0),
                None,
            ),
            FaultMode::Delay { delay_ms } => ("delay", None, None, Some(delay_ms)),
        };
        Self {
            fault_id: f.fault_id,
            step: f.step.as_str().to_owned(),
            mode: mode.to_owned(),
            count,
            probability,
            delay_ms,
            triggered: f.triggered,
            remaining: f.remaining(),
            active: f.is_active(),
            armed_at: f.armed_at,
            disarmed_at: f.disarmed_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FaultList {
    pub faults: Vec<FaultView>,
}

impl ArmRequest {
    fn mode(&self) -> Result<FaultMode, ApiError> {
        match self.mode {
            ModeName::Fail => {
                if self.delay_ms.is_some() {
                    return Err(ApiError::field(
                        "delay_ms",
                        "invalid_field",
                        "delay_ms belongs to mode \"delay\"",
                    ));
                }
                let per_mille = match self.probability {
                    None => None,
                    Some(p) if (0.0..=1.0).contains(&p) => Some((p * 1000.0).round() as u16),
                    Some(_) => {
                        return Err(ApiError::field(
                            "probability",
                            "invalid_probability",
                            "between 0 and 1",
                        ));
                    }
                };
                Ok(FaultMode::Fail {
                    count: self.count,
                    per_mille,
                })
            }
            ModeName::Delay => {
                if self.count.is_some() || self.probability.is_some() {
                    return Err(ApiError::field(
                        "mode",
                        "invalid_field",
                        "count and probability belong to mode \"fail\"",
                    ));
                }
                let delay_ms = self.delay_ms.ok_or_else(|| {
                    ApiError::field("delay_ms", "missing_field", "mode \"delay\" needs delay_ms")
                })?;
                Ok(FaultMode::Delay { delay_ms })
            }
        }
    }
}

#[utoipa::path(post, path = "/api/v1/admin/faults", tag = "operations", request_body = ArmRequest, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = FaultView), (status = 422, body = Problem)))]
pub async fn arm(
    State(state): State<AppState>,
    Staff(caller): Staff,
    IdempotencyKey(key): IdempotencyKey,
    body: JsonBody<ArmRequest>,
) -> Response {
    let JsonBody { value, raw } = body;
    let state = &state;
    idempotency::once(
        state,
        &caller.user_id.to_string(),
        key,
        "POST /admin/faults",
        &raw,
        |command_id| async move {
            let mode = value.mode()?;
            let fault_id = Uuid::new_v5(
                &SKYFLY_NAMESPACE,
                format!("fault/{}", command_id.0).as_bytes(),
            );
            let command = FaultCommand::ArmFault(ArmFault {
                fault_id,
                step: value.step,
                mode,
                at: state.clock.now(),
            });
            let envelope = Envelope::new(command, command_metadata(command_id, caller.actor()));
            let done = state.bus.execute::<FaultBoard>(BOARD_ID, envelope).await?;
            let fault = done
                .state
                .fault(fault_id)
                .ok_or_else(|| ApiError::internal("armed fault missing"))?;
            Ok(created(
                &format!("/api/v1/admin/faults/{fault_id}"),
                &FaultView::from(fault),
                done.position,
                Some(done.version),
            ))
        },
    )
    .await
}

#[utoipa::path(get, path = "/api/v1/admin/faults", tag = "operations", security(("bearer" = [])),
    responses((status = 200, body = FaultList)))]
pub async fn list(
    State(state): State<AppState>,
    Staff(_caller): Staff,
) -> Result<Response, ApiError> {
    let (board, _) = state.bus.load::<FaultBoard>(BOARD_ID).await?;
    Ok(json_ok(&FaultList {
        faults: board.faults().map(FaultView::from).collect(),
    }))
}

#[utoipa::path(delete, path = "/api/v1/admin/faults/{fault_id}", tag = "operations", security(("bearer" = [])),
    params(("fault_id" = Uuid, Path)),
    responses((status = 204, description = "disarmed"), (status = 404, body = Problem)))]
pub async fn disarm(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(fault_id): Path<String>,
) -> Result<Response, ApiError> {
    let fault_id = path_param("fault_id", &fault_id, |s| Uuid::parse_str(s).ok())
        .map_err(|_| ApiError::not_found("fault"))?;
    let (board, _) = state.bus.load::<FaultBoard>(BOARD_ID).await?;
    if board.fault(fault_id).is_none() {
        return Err(ApiError::not_found("fault"));
    }
    let command = FaultCommand::DisarmFault(DisarmFault {
        fault_id,
        at: state.clock.now(),
    });
    let metadata = command_metadata(
        skyfly_domain::ids::CommandId(Uuid::now_v7()),
        caller.actor(),
    );
    state
        .bus
        .execute::<FaultBoard>(BOARD_ID, Envelope::new(command, metadata))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
