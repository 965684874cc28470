//! Fault injection (staff): arm, list, disarm (the use cases are `skyfly_commands::faults`).
//! Faults are events on the `faults-board` stream.

use crate::auth::Staff;
use crate::error::{ApiError, Problem};
use crate::extract::Path;
use crate::extract::{IdempotencyKey, JsonBody};
use crate::idempotency;
use crate::routes::{created, json_ok};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use skyfly_commands::Call;
use skyfly_commands::faults::{self, Arm, Disarm, FaultKind};
use skyfly_domain::booking::SagaStep;
use skyfly_domain::faults::{Fault, FaultMode};
use skyfly_domain::ids::CommandId;
use utoipa::ToSchema;
use uuid::Uuid;

/// What an armed fault does to a saga step's commands.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModeName {
    /// Fail the commands.
    Fail,
    /// Delay the commands.
    Delay,
}

/// A fault to arm on a saga step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArmRequest {
    /// `reserve_seats | redeem_miles | authorize_payment | award_miles | confirm_booking`
    #[schema(value_type = String, example = "authorize_payment")]
    pub step: SagaStep,
    /// `fail` or `delay`.
    pub mode: ModeName,
    /// `fail`: how many commands to fail (every one while armed if absent).
    pub count: Option<u32>,
    /// `fail`: the probability of failing each command, 0 to 1 (always if absent).
    pub probability: Option<f64>,
    /// `delay`: milliseconds to add to each command.
    pub delay_ms: Option<u32>,
}

/// An armed or disarmed fault.
#[derive(Debug, Serialize, ToSchema)]
pub struct FaultView {
    /// The fault's id.
    pub fault_id: Uuid,
    /// The saga step the fault applies to.
    pub step: String,
    /// `fail | delay`
    pub mode: String,
    /// `fail`: how many commands to fail (`null`: every one while armed).
    pub count: Option<u32>,
    /// `fail`: the probability of failing each command, 0 to 1 (`null`: always).
    pub probability: Option<f64>,
    /// `delay`: milliseconds added to each command.
    pub delay_ms: Option<u32>,
    /// How many commands the fault has affected.
    pub triggered: u32,
    /// How many more commands it will fail (`null` if unlimited or a delay).
    pub remaining: Option<u32>,
    /// Whether the fault still applies.
    pub active: bool,
    /// When it was armed.
    pub armed_at: DateTime<Utc>,
    /// When it was disarmed, if it was.
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

/// The faults, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct FaultList {
    /// Every fault, oldest first.
    pub faults: Vec<FaultView>,
}

impl TryFrom<&ArmRequest> for Arm {
    type Error = ApiError;

    fn try_from(r: &ArmRequest) -> Result<Self, ApiError> {
        let kind = match r.mode {
            ModeName::Fail => FaultKind::Fail,
            ModeName::Delay => FaultKind::Delay,
        };
        Ok(Arm::parse(
            r.step,
            kind,
            r.count,
            r.probability,
            r.delay_ms,
        )?)
    }
}

#[utoipa::path(post, path = "/api/v1/admin/faults", tag = "operations", request_body = ArmRequest, security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, body = FaultView), (status = 422, body = Problem)))]
/// Arms a fault on a saga step.
pub async fn arm(
    State(state): State<AppState>,
    Staff(caller): Staff,
    IdempotencyKey(key): IdempotencyKey,
    body: JsonBody<ArmRequest>,
) -> Response {
    let (state, scope) = (&state, caller.user_id.to_string());
    let op = "POST /admin/faults";
    idempotency::once(state, &scope, key, op, &body.raw, |command_id| async move {
        let command = Arm::try_from(&body.value)?;
        let call = Call::by(&caller, command_id);
        let armed = faults::arm(&state.app, &call, command).await?;
        Ok(created(
            &format!("/api/v1/admin/faults/{}", armed.fault.fault_id),
            &FaultView::from(&armed.fault),
            armed.position,
            Some(armed.version),
        ))
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/admin/faults", operation_id = "list_faults", tag = "operations", security(("bearer" = [])),
    responses((status = 200, body = FaultList)))]
/// The faults, oldest first.
pub async fn list(
    State(state): State<AppState>,
    Staff(_caller): Staff,
) -> Result<Response, ApiError> {
    let faults = faults::list(&state.app).await?;
    Ok(json_ok(&FaultList {
        faults: faults.iter().map(FaultView::from).collect(),
    }))
}

#[utoipa::path(delete, path = "/api/v1/admin/faults/{fault_id}", tag = "operations", security(("bearer" = [])),
    params(("fault_id" = Uuid, Path)),
    responses((status = 204, description = "disarmed"), (status = 404, body = Problem)))]
/// Disarms a fault.
pub async fn disarm(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(fault_id): Path<String>,
) -> Result<Response, ApiError> {
    let fault_id = Uuid::parse_str(&fault_id).map_err(|_| ApiError::not_found("fault"))?;
    let call = Call::by(&caller, CommandId(Uuid::now_v7()));
    faults::disarm(&state.app, &call, Disarm { fault_id }).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
