//! The flight use cases on the in-memory stores.

use super::*;
use crate::testing::{TestApplication, caller, command_id, flight_plan};
use crate::{Call, RefusalKind, UseCaseError};
use chrono::NaiveDate;
use skyfly_domain::cabin::Cabin;
use skyfly_domain::event::Actor;
use skyfly_domain::identity::Role;
use skyfly_domain::ids::FlightId;
use skyfly_domain::inventory::FlightInventory;
use skyfly_domain::money::Money;
use std::sync::Mutex;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn staff_call() -> Call {
    Call::by(&caller(Role::Staff), command_id())
}

fn importer() -> Actor {
    Actor::system("import")
}

/// The seed CSV format: SF100 on Mondays (0), SF101 on Tuesdays (1), SF200 on Wednesdays (2).
const THREE_ROWS: &str = "\
index,origin,destination,depart_time,depart_weekday,duration,arrival_time,arrival_weekday,flight_no,airline_code,airline,economy_fare,business_fare,first_fare
0,DFW,ORD,08:00:00,0,02:30:00,10:30:00,0,SF100,SF,SkyFly,19900,89900,
1,ORD,DFW,12:00:00,1,02:40:00,14:40:00,1,SF101,SF,SkyFly,18900,,
2,LHR,JFK,10:00:00,2,08:00:00,13:00:00,2,SF200,SF,SkyFly,45000,250000,900000
";

/// Monday 2026-11-23: two weeks from it hold two of each weekday.
fn monday() -> NaiveDate {
    date(2026, 11, 23)
}

async fn import(t: &TestApplication, csv: &str, from: NaiveDate, days: u32) -> ImportReport {
    let command = ImportSchedule::parse(csv.as_bytes().to_vec(), Some(from), Some(days)).unwrap();
    import_schedule(&t.app, importer(), &command, &|_, _| {})
        .await
        .unwrap()
}

async fn inventory(t: &TestApplication, flight_id: &str) -> FlightInventory {
    let id = FlightId::parse(flight_id).unwrap();
    t.app.bus.load::<FlightInventory>(&id).await.unwrap().0
}

async fn head(t: &TestApplication) -> u64 {
    t.app.bus.store().head_position().await.unwrap()
}

#[tokio::test]
async fn scheduling_a_flight_records_flight_scheduled_and_puts_its_seats_on_sale() {
    let t = TestApplication::new();
    let plan = flight_plan("SF100", date(2026, 12, 1), "DFW", "ORD");
    let scheduled = schedule(&t.app, &staff_call(), &ScheduleFlightPlan(plan.clone()))
        .await
        .unwrap();
    assert_eq!(scheduled.version, 1);
    assert_eq!(scheduled.position, Some(1));

    let (inventory, version) = t
        .app
        .bus
        .load::<FlightInventory>(&plan.flight_id)
        .await
        .unwrap();
    assert_eq!(version, 1);
    let s = inventory.schedule().expect("the flight is scheduled");
    assert_eq!(s.flight_id, plan.flight_id);
    assert_eq!((s.origin, s.destination), (plan.origin, plan.destination));
    assert_eq!((s.departure, s.arrival), (plan.departure, plan.arrival));
    let economy = inventory.cabin(Cabin::Economy).unwrap();
    assert_eq!((economy.capacity, economy.available), (150, 150));
    assert_eq!((economy.held, economy.sold), (0, 0));
    assert_eq!(economy.fare, Money::usd(19_900));
    assert_eq!(inventory.cabin(Cabin::Business).unwrap().capacity, 24);
    assert!(inventory.cabin(Cabin::First).is_none());

    let events = t
        .app
        .bus
        .store()
        .read_stream("flight-SF100-2026-12-01", 0)
        .await
        .unwrap();
    let types: Vec<_> = events.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["FlightScheduled"]);
}

#[tokio::test]
async fn scheduling_a_flight_twice_is_refused_already_scheduled() {
    let t = TestApplication::new();
    let plan = ScheduleFlightPlan(flight_plan("SF100", date(2026, 12, 1), "DFW", "ORD"));
    schedule(&t.app, &staff_call(), &plan).await.unwrap();
    let again = schedule(&t.app, &staff_call(), &plan).await.unwrap_err();
    match again {
        UseCaseError::Refused(r) => {
            assert_eq!(
                (r.code, r.kind),
                ("already_scheduled", RefusalKind::Conflict)
            );
        }
        other => panic!("expected already_scheduled, got {other:?}"),
    }
    assert_eq!(head(&t).await, 1, "nothing more was recorded");
}

#[tokio::test]
async fn a_redelivered_schedule_command_takes_effect_once_and_is_not_refused() {
    let t = TestApplication::new();
    let plan = ScheduleFlightPlan(flight_plan("SF100", date(2026, 12, 1), "DFW", "ORD"));
    let call = staff_call();
    let first = schedule(&t.app, &call, &plan).await.unwrap();
    let again = schedule(&t.app, &call, &plan).await.unwrap();
    assert_eq!(again, first);
    assert_eq!(head(&t).await, 1);
}

#[tokio::test]
async fn schedule_plan_answers_none_for_a_flight_already_scheduled() {
    let t = TestApplication::new();
    let plan = flight_plan("SF100", date(2026, 12, 1), "DFW", "ORD");
    let first = schedule_plan(&t.app, &staff_call(), &plan).await.unwrap();
    assert_eq!(first.map(|s| s.version), Some(1));
    // Another command (another import, the demo loader) and the same command again.
    assert_eq!(
        schedule_plan(&t.app, &staff_call(), &plan).await.unwrap(),
        None
    );
    assert_eq!(head(&t).await, 1);
}

#[tokio::test]
async fn a_flight_the_domain_refuses_is_refused_with_its_code() {
    let t = TestApplication::new();
    let plan = ScheduleFlightPlan(flight_plan("SF100", date(2026, 12, 1), "DFW", "DFW"));
    let e = schedule(&t.app, &staff_call(), &plan).await.unwrap_err();
    assert_eq!(e.code(), Some("same_origin_and_destination"), "{e:?}");
    assert!(!e.is_failure());
    assert_eq!(head(&t).await, 0);
}

#[test]
fn an_unknown_airport_is_refused_naming_the_field() {
    let t = TestApplication::new();
    assert_eq!(
        known_airport(&t.app, "origin", "DFW").unwrap().to_string(),
        "DFW"
    );
    match known_airport(&t.app, "destination", "ZZZ").unwrap_err() {
        UseCaseError::Invalid { field, code, .. } => {
            assert_eq!((field.as_str(), code), ("destination", "unknown_airport"));
        }
        other => panic!("expected unknown_airport, got {other:?}"),
    }
    match known_airport(&t.app, "origin", "D1").unwrap_err() {
        UseCaseError::Invalid { field, code, .. } => {
            assert_eq!((field.as_str(), code), ("origin", "invalid_field"));
        }
        other => panic!("expected invalid_field, got {other:?}"),
    }
}

#[test]
fn an_import_of_no_day_or_of_more_than_366_days_is_refused_naming_days() {
    for days in [0, MAX_IMPORT_DAYS + 1] {
        let e = ImportSchedule::parse(Vec::new(), Some(monday()), Some(days)).unwrap_err();
        assert!(
            matches!(e, UseCaseError::Invalid { ref field, .. } if field == "days"),
            "{days} days: {e:?}"
        );
    }
    for days in [Some(1), Some(MAX_IMPORT_DAYS), None] {
        assert!(
            ImportSchedule::parse(Vec::new(), Some(monday()), days).is_ok(),
            "{days:?}"
        );
    }
}

#[tokio::test]
async fn importing_a_schedule_schedules_every_flight_instance_of_the_range() {
    let t = TestApplication::new();
    let command =
        ImportSchedule::parse(THREE_ROWS.as_bytes().to_vec(), Some(monday()), Some(14)).unwrap();
    let progress = Mutex::new(Vec::new());
    let report = import_schedule(&t.app, importer(), &command, &|done, total| {
        progress.lock().unwrap().push((done, total));
    })
    .await
    .unwrap();
    assert_eq!(
        report,
        ImportReport {
            lines: 3,
            scheduled: 3,
            flights_scheduled: 6,
            ..ImportReport::default()
        }
    );
    let progress = progress.into_inner().unwrap();
    assert_eq!(progress.len(), 6);
    assert_eq!(progress.last(), Some(&(6, 6)));
    assert_eq!(head(&t).await, 6);

    for flight in [
        "SF100-2026-11-23",
        "SF100-2026-11-30",
        "SF101-2026-11-24",
        "SF101-2026-12-01",
        "SF200-2026-11-25",
        "SF200-2026-12-02",
    ] {
        assert!(inventory(&t, flight).await.is_scheduled(), "{flight}");
    }
    // Only on the row's weekday.
    assert!(!inventory(&t, "SF100-2026-11-24").await.is_scheduled());
    let sf200 = inventory(&t, "SF200-2026-11-25").await;
    let s = sf200.schedule().unwrap();
    assert_eq!(s.departure.to_rfc3339(), "2026-11-25T10:00:00+00:00");
    assert_eq!(s.arrival.to_rfc3339(), "2026-11-25T18:00:00+00:00");
    assert_eq!(sf200.cabin(Cabin::First).unwrap().fare, Money::usd(900_000));
    // An empty fare: the cabin is not offered.
    assert!(
        inventory(&t, "SF101-2026-11-24")
            .await
            .cabin(Cabin::Business)
            .is_none()
    );
}

#[tokio::test]
async fn a_second_import_schedules_nothing_and_reports_every_flight_already_scheduled() {
    let t = TestApplication::new();
    let first = import(&t, THREE_ROWS, monday(), 14).await;
    assert_eq!(first.flights_scheduled, 6);
    let head_after_first = head(&t).await;
    let second = import(&t, THREE_ROWS, monday(), 14).await;
    assert_eq!(
        second,
        ImportReport {
            lines: 3,
            already_scheduled: 3,
            flights_already_scheduled: 6,
            ..ImportReport::default()
        }
    );
    assert_eq!(
        head(&t).await,
        head_after_first,
        "nothing more was recorded"
    );
}

#[tokio::test]
async fn an_import_overlapping_an_earlier_one_schedules_only_the_new_days() {
    let t = TestApplication::new();
    import(&t, THREE_ROWS, monday(), 7).await;
    let report = import(&t, THREE_ROWS, monday(), 14).await;
    assert_eq!(
        (report.flights_scheduled, report.flights_already_scheduled),
        (3, 3)
    );
    assert_eq!(
        report.scheduled, 3,
        "each line scheduled a new date: {report:?}"
    );
    assert!(report.accounts_for_every_line(), "{report:?}");
}

#[tokio::test]
async fn a_row_with_an_unknown_airport_is_reported_by_its_line_and_the_others_are_imported() {
    let t = TestApplication::new();
    let csv =
        format!("{THREE_ROWS}3,DFW,ZZZ,09:00:00,0,01:00:00,10:00:00,0,SF300,SF,SkyFly,9900,,\n");
    let report = import(&t, &csv, monday(), 14).await;
    assert_eq!(report.lines, 4);
    assert_eq!((report.scheduled, report.rejected), (3, 1));
    assert_eq!(report.flights_scheduled, 6);
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    let error = &report.errors[0];
    assert_eq!(error.line, 5, "the header is line 1");
    assert!(error.reason.starts_with("destination"), "{}", error.reason);
    assert!(error.reason.contains("ZZZ"), "{}", error.reason);
    assert!(!inventory(&t, "SF300-2026-11-23").await.is_scheduled());
}

#[tokio::test]
async fn the_sample_schedule_file_is_imported_with_its_bad_lines_reported() {
    let t = TestApplication::new();
    let csv = include_bytes!("../../../fixtures/data/sample_schedule.csv").to_vec();
    let command = ImportSchedule::parse(csv, Some(monday()), Some(7)).unwrap();
    let report = import_schedule(&t.app, importer(), &command, &|_, _| {})
        .await
        .unwrap();
    assert_eq!(report.lines, 8);
    // SF100 on Monday and Tuesday, SF101 on Monday, SF200 on Wednesday.
    assert_eq!(report.scheduled, 4, "{report:?}");
    assert_eq!(
        (report.rejected, report.outside_window),
        (4, 0),
        "{report:?}"
    );
    let lines: Vec<u64> = report.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, [6, 7, 8, 9], "{report:?}");
    assert!(report.errors[0].reason.contains("ZZZ"), "{report:?}");
}

// Regression (issue 12, item 9): without `from` the import answered 200 and accounted for nothing.
#[test]
fn an_import_without_a_start_date_is_refused_naming_from() {
    match ImportSchedule::parse(THREE_ROWS.as_bytes().to_vec(), None, Some(7)).unwrap_err() {
        UseCaseError::Invalid { field, code, .. } => {
            assert_eq!((field.as_str(), code), ("from", "missing_field"));
        }
        other => panic!("expected missing_field, got {other:?}"),
    }
}

// Regression (issue 12, item 9): lines whose weekday fell outside the range were not counted.
#[tokio::test]
async fn a_line_whose_weekday_is_not_in_the_range_is_counted_outside_the_window() {
    let t = TestApplication::new();
    let csv =
        format!("{THREE_ROWS}3,DFW,ZZZ,09:00:00,0,01:00:00,10:00:00,0,SF300,SF,SkyFly,9900,,\n");
    // One day, a Tuesday: SF101 flies, SF100 (Monday) and SF200 (Wednesday) do not.
    let report = import(&t, &csv, date(2026, 11, 24), 1).await;
    assert_eq!(
        (
            report.lines,
            report.scheduled,
            report.outside_window,
            report.rejected
        ),
        (4, 1, 2, 1),
        "{report:?}"
    );
    assert_eq!(
        report.errors.len(),
        1,
        "an unknown airport is refused whatever the range"
    );
    assert!(report.accounts_for_every_line(), "{report:?}");
    let again = import(&t, &csv, date(2026, 11, 24), 1).await;
    assert_eq!((again.already_scheduled, again.outside_window), (1, 2));
    assert!(again.accounts_for_every_line(), "{again:?}");
}

// Regression (issue 12, item 8): departure times were read as UTC.
#[tokio::test]
async fn imported_flights_depart_at_the_local_time_of_their_origin() {
    let t = TestApplication::new();
    import(&t, THREE_ROWS, monday(), 7).await;
    // SF100: 08:00 in Dallas (CST) = 14:00Z, arriving 10:30 in Chicago (CST) = 16:30Z.
    let sf100 = inventory(&t, "SF100-2026-11-23").await;
    let s = sf100.schedule().unwrap();
    assert_eq!(s.departure.to_rfc3339(), "2026-11-23T14:00:00+00:00");
    assert_eq!(s.arrival.to_rfc3339(), "2026-11-23T16:30:00+00:00");
}

#[tokio::test]
async fn a_flight_scheduled_at_other_times_before_is_reported_not_counted_as_already_scheduled() {
    let t = TestApplication::new();
    // SF100 on 2026-11-23 as an import that read 08:00 as UTC recorded it.
    let mut old = flight_plan("SF100", monday(), "DFW", "ORD");
    old.departure = monday().and_hms_opt(8, 0, 0).unwrap().and_utc();
    old.arrival = monday().and_hms_opt(10, 30, 0).unwrap().and_utc();
    schedule_plan(&t.app, &staff_call(), &old).await.unwrap();
    let report = import(&t, THREE_ROWS, monday(), 7).await;
    assert_eq!((report.scheduled, report.rejected), (2, 1), "{report:?}");
    assert_eq!(report.errors[0].line, 2);
    assert!(
        report.errors[0]
            .reason
            .starts_with("SF100-2026-11-23: already scheduled otherwise"),
        "{report:?}"
    );
    assert!(report.accounts_for_every_line(), "{report:?}");
}

#[tokio::test]
async fn a_file_without_the_schedule_header_is_reported_on_line_1_and_imports_nothing() {
    let t = TestApplication::new();
    let csv = "origin,destination\nDFW,ORD\n";
    let report = import(&t, csv, monday(), 14).await;
    assert_eq!(report.scheduled + report.already_scheduled, 0);
    assert_eq!(report.errors.len(), 1, "{report:?}");
    assert_eq!(report.errors[0].line, 1);
    assert!(report.errors[0].reason.starts_with("header"), "{report:?}");
    assert_eq!(report.lines, 0, "no data row was read: {report:?}");
    assert!(report.accounts_for_every_line(), "{report:?}");
    assert_eq!(head(&t).await, 0);
}

#[tokio::test]
async fn an_empty_file_is_reported_on_line_1_and_imports_nothing() {
    let t = TestApplication::new();
    let report = import(&t, "", monday(), 14).await;
    assert_eq!((report.lines, report.scheduled), (0, 0), "{report:?}");
    assert_eq!(report.errors.len(), 1, "{report:?}");
    assert_eq!(report.errors[0].line, 1);
}
