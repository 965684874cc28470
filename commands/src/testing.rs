//! Test support: an [`Application`] on the in-memory adapters and a manual clock, without HTTP
//! or PostgreSQL, for the use cases' own tests.

use crate::flights::FlightPlan;
use crate::read_models::{Progress, ReadModelStatus, ReadModels};
use crate::{
    Application, Call, Caller, CommandBus, Envelope, ProcessManager, UseCaseError, UseCaseResult,
};
use async_trait::async_trait;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use skyfly_domain::cabin::Cabin;
use skyfly_domain::event::{Actor, Metadata};
use skyfly_domain::event::{NewEvent, RecordedEvent};
use skyfly_domain::identity::Role;
use skyfly_domain::ids::{CommandId, FlightId, FlightNumber, LoyaltyAccountId, UserId};
use skyfly_domain::loyalty::{LoyaltyAccount, LoyaltyCommand, OpenAccount};
use skyfly_domain::money::Money;
use skyfly_domain::place::{Airport, Iata};
use skyfly_domain::store::{
    AppendOutcome, Appended, Backlog, EventStore, ExpectedVersion, LogFilter, StoreError,
    StreamAppend,
};
use skyfly_infra::clock::ManualClock;
use std::sync::{Arc, Mutex};

/// Read models that are never projected: they record which rebuilds were asked for.
#[derive(Debug, Default)]
pub struct RecordedRebuilds {
    /// The names of the read models rebuilt, in order.
    pub rebuilt: Mutex<Vec<String>>,
}

#[async_trait]
impl ReadModels for RecordedRebuilds {
    fn names(&self) -> Vec<&'static str> {
        vec!["booking_view", "flight_availability"]
    }

    async fn statuses(&self) -> UseCaseResult<Vec<ReadModelStatus>> {
        Ok(self
            .names()
            .into_iter()
            .map(|name| ReadModelStatus {
                name: name.to_owned(),
                position: 0,
                lag_events: 0,
                lag_ms: 0,
                status: "live".into(),
            })
            .collect())
    }

    async fn rebuild(&self, name: &str, progress: Progress<'_>) -> UseCaseResult<u64> {
        if !self.names().contains(&name) {
            return Err(UseCaseError::NotFound("projection"));
        }
        self.rebuilt
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(name.to_owned());
        progress(0, 0);
        Ok(0)
    }

    async fn start_rebuild(&self, name: &str) -> UseCaseResult<()> {
        self.rebuild(name, &|_, _| {}).await.map(drop)
    }
}

/// The instant every use-case test starts at: 2026-11-22 12:00 UTC.
pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
}

/// An application on fresh in-memory stores.
pub struct TestApplication {
    /// The application.
    pub app: Application,
    /// Its clock.
    pub clock: ManualClock,
    /// Its read models.
    pub read_models: Arc<RecordedRebuilds>,
}

impl Default for TestApplication {
    fn default() -> Self {
        Self::new()
    }
}

impl TestApplication {
    /// A fresh application at [`start`], knowing the embedded airports.
    pub fn new() -> Self {
        Self::with_store(Arc::new(skyfly_infra::MemoryEventStore::new()))
    }

    /// A fresh application at [`start`] on `store` (e.g. a wrapper that injects failures), with
    /// the other stores in memory.
    pub fn with_store(store: Arc<dyn EventStore>) -> Self {
        let clock = ManualClock::new(start());
        let bus = Arc::new(CommandBus::new(store, Arc::new(clock.clone())));
        let payments = Arc::new(skyfly_infra::card::BuiltInCardProcessor);
        let process = Arc::new(ProcessManager::new(
            Arc::clone(&bus),
            Arc::new(skyfly_infra::process::MemoryProcessStore::default()),
            payments.clone(),
        ));
        let read_models = Arc::new(RecordedRebuilds::default());
        let airports = skyfly_fixtures::airports::airports()
            .into_iter()
            .map(|a: Airport| (a.code, a))
            .collect();
        let app = Application {
            bus,
            process,
            payments,
            credentials: Arc::new(skyfly_infra::MemoryCredentialStore::default()),
            airports: Arc::new(airports),
            read_models: read_models.clone(),
        };
        Self {
            app,
            clock,
            read_models,
        }
    }
}

impl TestApplication {
    /// A customer whose loyalty account is open, as registration leaves it — without hashing a
    /// password (slow in debug builds) nor recording the user.
    pub async fn customer(&self) -> Caller {
        let customer = caller(Role::Customer);
        let account_id = LoyaltyAccountId::for_user(customer.user_id);
        let open = LoyaltyCommand::OpenAccount(OpenAccount {
            account_id,
            owner: customer.user_id,
            at: self.app.now(),
        });
        let meta = Metadata::new(command_id(), Actor::system("registration"));
        self.app
            .bus
            .execute::<LoyaltyAccount>(account_id, Envelope::new(open, meta))
            .await
            .unwrap();
        customer
    }

    /// Schedules `plan` (as staff would), returning its flight id.
    pub async fn schedule(&self, plan: &FlightPlan) -> FlightId {
        let call = Call::by(&caller(Role::Staff), command_id());
        crate::flights::schedule_plan(&self.app, &call, plan)
            .await
            .unwrap()
            .unwrap();
        plan.flight_id.clone()
    }
}

/// A flight `number` on `date` from `origin` to `destination`, 08:00 to 10:30 UTC, with 150
/// economy seats at 199.00 and 24 business seats at 899.00 (no premium, no first).
pub fn flight_plan(number: &str, date: NaiveDate, origin: &str, destination: &str) -> FlightPlan {
    let flight_number = FlightNumber::parse(number).unwrap();
    let departure = date.and_hms_opt(8, 0, 0).unwrap().and_utc();
    FlightPlan {
        flight_id: FlightId::new(flight_number.clone(), date),
        flight_number,
        origin: Iata::parse(origin).unwrap(),
        destination: Iata::parse(destination).unwrap(),
        departure,
        arrival: departure + chrono::Duration::minutes(150),
        cabins: [
            (Cabin::Economy, (150, Money::usd(19_900))),
            (Cabin::Business, (24, Money::usd(89_900))),
        ]
        .into_iter()
        .collect(),
        source_line: 0,
    }
}

/// A caller with `role` (not registered: use cases that need a registered user register one).
pub fn caller(role: Role) -> Caller {
    Caller {
        user_id: UserId(uuid::Uuid::now_v7()),
        role,
    }
}

/// A fresh command id (a call that is not a retry).
pub fn command_id() -> CommandId {
    CommandId(uuid::Uuid::now_v7())
}

/// A call by a staff member (not registered) with a fresh command id.
pub fn staff_call() -> Call {
    Call::by(&caller(Role::Staff), CommandId(uuid::Uuid::now_v7()))
}

/// The flight every use-case test flies: SF100 DFW → ORD on 2026-12-01, economy at $100.00.
pub fn flight_id() -> FlightId {
    FlightId::new(
        FlightNumber::parse("SF100").unwrap(),
        chrono::NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
    )
}

/// Schedules [`flight_id`] with `seats` economy seats at $100.00.
pub async fn schedule_flight(app: &Application, seats: u32) -> FlightId {
    let departure = Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap();
    let plan = crate::flights::FlightPlan {
        flight_id: flight_id(),
        flight_number: FlightNumber::parse("SF100").unwrap(),
        origin: Iata::parse("DFW").unwrap(),
        destination: Iata::parse("ORD").unwrap(),
        departure,
        arrival: departure + Duration::hours(2),
        cabins: [(Cabin::Economy, (seats, Money::usd(10_000)))].into(),
        source_line: 0,
    };
    let plan = crate::flights::ScheduleFlightPlan(plan);
    crate::flights::schedule(app, &staff_call(), &plan)
        .await
        .unwrap();
    flight_id()
}

/// An event store that fails every append touching a stream whose id starts with `prefix`, as if
/// the engine died while recording it (nothing of that append is kept); everything else goes to
/// `inner`.
pub struct FailingAppends {
    /// The store that holds what is recorded.
    pub inner: Arc<dyn EventStore>,
    /// Appends to streams with this prefix fail.
    pub prefix: String,
}

impl FailingAppends {
    fn refuse(&self, stream: &str) -> Result<(), StoreError> {
        if stream.starts_with(&self.prefix) {
            return Err(StoreError::Unavailable(format!(
                "injected: the engine died appending to {stream}"
            )));
        }
        Ok(())
    }
}

#[async_trait]
impl EventStore for FailingAppends {
    async fn append(
        &self,
        stream: &str,
        expected: ExpectedVersion,
        command_id: Option<CommandId>,
        events: Vec<NewEvent>,
    ) -> Result<AppendOutcome, StoreError> {
        self.refuse(stream)?;
        self.inner
            .append(stream, expected, command_id, events)
            .await
    }

    async fn append_streams(
        &self,
        appends: Vec<StreamAppend>,
    ) -> Result<Vec<AppendOutcome>, StoreError> {
        for a in &appends {
            self.refuse(&a.stream)?;
        }
        self.inner.append_streams(appends).await
    }

    async fn read_stream(
        &self,
        stream: &str,
        after_version: u64,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_stream(stream, after_version).await
    }

    async fn read_all(&self, after: u64, limit: usize) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_all(after, limit).await
    }

    async fn read_filtered(
        &self,
        after: u64,
        limit: usize,
        filter: &LogFilter,
    ) -> Result<Vec<RecordedEvent>, StoreError> {
        self.inner.read_filtered(after, limit, filter).await
    }

    async fn backlog(&self, after: u64) -> Result<Backlog, StoreError> {
        self.inner.backlog(after).await
    }

    async fn wait_for_events(&self, after: u64) {
        self.inner.wait_for_events(after).await;
    }

    async fn head_position(&self) -> Result<u64, StoreError> {
        self.inner.head_position().await
    }

    async fn recorded_command(
        &self,
        command_id: CommandId,
    ) -> Result<Option<Appended>, StoreError> {
        self.inner.recorded_command(command_id).await
    }
}
