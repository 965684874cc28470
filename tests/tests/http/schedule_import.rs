//! `POST /api/v1/flights/import` through the real router: local times read in each airport's
//! zone, and a report that accounts for every line.

use axum::http::StatusCode;
use skyfly_tests::app::{Reply, TestApp};

const HEADER: &str = "index,origin,destination,depart_time,depart_weekday,duration,arrival_time,\
                      arrival_weekday,flight_no,airline_code,airline,economy_fare,business_fare,first_fare";

/// QX101 Dallas to Chicago at 10:00 local on Mondays; the seed's AI431 Delhi to Lucknow at 12:20
/// local on Thursdays.
fn schedule() -> String {
    format!(
        "{HEADER}\n\
         0,DFW,ORD,10:00:00,0,02:20:00,12:20:00,0,QX101,QX,Horizon Air,20000,,\n\
         267,DEL,LKO,12:20:00,3,01:05:00,13:25:00,3,AI431,AI,Air India,6730,,14743\n"
    )
}

/// `POST /api/v1/flights/import?{query}` with `csv` as staff.
async fn import(app: &TestApp, staff: &str, query: &str, csv: &str) -> Reply {
    let path = format!("/api/v1/flights/import?{query}");
    app.post(&path, Some(staff), csv).await
}

// Regression (issue 12, item 8): `depart_time` was read as UTC (QX101 shown departing 10:00Z).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_flights_show_the_departure_of_their_local_time() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let csv = schedule();
    // A week in winter (CST, UTC-6) and one in summer (CDT, UTC-5); Delhi has no DST.
    for from in ["2027-01-04", "2027-07-05"] {
        let r = import(&app, &staff, &format!("from={from}&days=7"), &csv).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(
            (r.body["lines"].as_u64(), r.body["scheduled"].as_u64()),
            (Some(2), Some(2)),
            "{}",
            r.body
        );
    }
    for (flight, departure, arrival) in [
        (
            "QX101-2027-01-04",
            "2027-01-04T16:00:00Z",
            "2027-01-04T18:20:00Z",
        ),
        (
            "QX101-2027-07-05",
            "2027-07-05T15:00:00Z",
            "2027-07-05T17:20:00Z",
        ),
        (
            "AI431-2027-01-07",
            "2027-01-07T06:50:00Z",
            "2027-01-07T07:55:00Z",
        ),
    ] {
        let r = app.get(&format!("/api/v1/flights/{flight}"), None).await;
        assert_eq!(r.status, StatusCode::OK, "{flight}: {}", r.body);
        assert_eq!(
            (r.body["departure"].as_str(), r.body["arrival"].as_str()),
            (Some(departure), Some(arrival)),
            "{flight}"
        );
    }
}

// Regression (issue 12, item 9): without `from` the import answered 200 and accounted for nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_without_from_is_refused_naming_from() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let events = app.event_count().await;
    let r = import(&app, &staff, "days=7", &schedule()).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json"),
        "{}",
        r.body
    );
    assert_eq!(r.body["code"], "missing_field", "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "from", "{}", r.body);
    assert_eq!(app.event_count().await, events, "nothing was scheduled");
}

// Regression (issue 12, item 9): lines whose weekday fell outside the range were in no count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_day_import_counts_the_other_days_lines_outside_the_window() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let csv = format!(
        "{}0,DFW,ZZZ,10:00:00,0,02:20:00,12:20:00,0,QX102,QX,Horizon Air,20000,,\n",
        schedule()
    );
    // 2027-01-04 is a Monday: QX101 flies, AI431 (Thursday) does not, QX102 names no airport.
    let r = import(&app, &staff, "from=2027-01-04&days=1", &csv).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let count = |name: &str| r.body[name].as_u64().unwrap_or(u64::MAX);
    assert_eq!(
        [
            count("lines"),
            count("scheduled"),
            count("already_scheduled"),
            count("outside_window"),
            count("rejected"),
            count("flights_scheduled"),
        ],
        [3, 1, 0, 1, 1, 1],
        "{}",
        r.body
    );
    assert_eq!(r.body["errors"][0]["line"], 4, "{}", r.body);
}

// Regression (issue 12, item 8): a flight id carries the local date of departure at the origin,
// for a flight scheduled one by one as for an imported one (which the schedule's weekday names).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flight_scheduled_alone_is_named_by_its_local_date_like_an_imported_one() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    // 21:40 on Saturday 2027-01-09 in Los Angeles is 05:40Z on the Sunday.
    let r = app
        .post(
            "/api/v1/flights",
            Some(&staff),
            r#"{"flight_number":"DL899","origin":"LAX","destination":"ATL",
                "departure":"2027-01-10T05:40:00Z","arrival":"2027-01-10T10:00:00Z",
                "cabins":{"economy":{"capacity":150,"fare":{"amount":44537,"currency":"USD"}}}}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["flight_id"], "DL899-2027-01-09");
    // The seed's line for that flight, imported: the same flight instance, already scheduled.
    let csv = format!(
        "{HEADER}\n691,LAX,ATL,21:40:00,5,07:20:00,05:00:00,6,DL899,DL,Delta Airlines,44537,,\n"
    );
    let r = import(&app, &staff, "from=2027-01-04&days=7", &csv).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["already_scheduled"], 1, "{}", r.body);
}
