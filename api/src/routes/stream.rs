//! `GET /api/v1/stream`: live events for dashboards, as server-sent events, fed from NATS (what
//! the relay publishes). Staff see every event; a customer sees the events of their own bookings
//! (every event whose correlation id is one of their bookings: the booking, its saga, its seats,
//! payment and miles).
//!
//! Each SSE event is `event: <event_type>`, `id: <global_position>`, `data: <envelope>` (the same
//! envelope as `GET /api/v1/admin/events`). The feed is live only (no replay: the log is read
//! through `/admin/events` or JetStream); with NATS down it stays open and resumes when NATS
//! comes back, as the relay catches up.
//! When the process goes down ([`skyfly_engine::Shutdown`]) every stream ends, so that a graceful
//! shutdown is not held open by its clients.

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::State;
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use skyfly_domain::event::RecordedEvent;
use std::collections::HashMap;
use std::time::Duration;
use uuid::Uuid;

#[utoipa::path(get, path = "/api/v1/stream", tag = "operations", security(("bearer" = [])),
    responses((status = 200, description = "text/event-stream of event envelopes"),
              (status = 401, body = crate::error::Problem),
              (status = 503, body = crate::error::Problem, description = "NATS is not configured")))]
/// The live stream of event envelopes relayed from NATS, as server-sent events.
pub async fn stream(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    let nats = state.nats.clone().ok_or_else(|| {
        ApiError::unavailable("the live stream needs NATS (NATS_URL), which is not configured")
    })?;
    let live = nats
        .live()
        .await
        .map_err(|e| ApiError::unavailable(format!("live stream: {e}")))?;
    let going_down = state.shutdown.triggered();
    let visible = Visibility::new(state, caller);
    // A comment when nothing was sent for a while, so that proxies keep the connection open.
    let quiet_until = tokio::time::Instant::now() + KEEP_ALIVE;
    let events = futures::stream::unfold(
        (live, visible, quiet_until),
        |(mut live, mut visible, mut quiet_until)| async move {
            loop {
                let sse = match tokio::time::timeout_at(quiet_until, live.next()).await {
                    Err(_) => Ok(Event::default().comment("")),
                    Ok(None) => return None,
                    Ok(Some(event)) => match visible.check(event).await {
                        Some(shown) => Event::default()
                            .event(shown.event_type.clone())
                            .id(shown.global_position.to_string())
                            .json_data(&shown),
                        None => continue,
                    },
                };
                quiet_until = tokio::time::Instant::now() + KEEP_ALIVE;
                return Some((sse, (live, visible, quiet_until)));
            }
        },
    );
    Ok(Sse::new(events.take_until(going_down)).into_response())
}

/// How long the stream may stay silent before a keep-alive comment.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Who may see what: staff everything; a customer what belongs to their bookings. Whose booking a
/// correlation id is is learnt once per connection (by loading the booking) and remembered.
struct Visibility {
    state: AppState,
    caller: Caller,
    owners: HashMap<Uuid, bool>,
}

impl Visibility {
    fn new(state: AppState, caller: Caller) -> Self {
        Self {
            state,
            caller,
            owners: HashMap::new(),
        }
    }

    async fn check(&mut self, event: RecordedEvent) -> Option<RecordedEvent> {
        if self.caller.is_staff() {
            return Some(event);
        }
        let me = self.caller.user_id.0;
        let conversation = event.metadata.correlation_id;
        let mine = match self.owners.get(&conversation) {
            Some(mine) => *mine,
            None => {
                let mine = booking_owner(&self.state, conversation).await == Some(me);
                self.owners.insert(conversation, mine);
                mine
            }
        };
        mine.then_some(event)
    }
}

/// The customer of the booking `id`, if `id` is a booking. A booking's conversation starts with
/// its saga (`SagaStarted` is recorded before `BookingRequested`), so the saga, which names the
/// customer too, is there to load whichever of its events arrives first.
async fn booking_owner(state: &AppState, id: Uuid) -> Option<Uuid> {
    let id = skyfly_domain::ids::BookingId(id);
    let (saga, _) = state
        .bus
        .load::<skyfly_domain::saga::BookingSaga>(id)
        .await
        .ok()?;
    if let Some(s) = saga.state() {
        return Some(s.customer.0);
    }
    let (booking, _) = state
        .bus
        .load::<skyfly_domain::booking::Booking>(id)
        .await
        .ok()?;
    booking.state().map(|b| b.customer.0)
}
