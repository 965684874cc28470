//! Queries from read models over HTTP: places, flight search with read-your-writes, and the
//! projections' status and rebuild.

use axum::http::StatusCode;
use skyfly_tests::app::TestApp;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn places_match_a_prefix_of_code_city_or_name() {
    let app = TestApp::new().await;
    let r = app.get("/api/v1/places?q=dal", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let codes: Vec<&str> = r.body["places"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"DFW"), "Dallas: {codes:?}");
    let r = app.get("/api/v1/places?q=LHR", None).await;
    assert_eq!(r.body["places"][0]["time_zone"], "Europe/London");
    assert!(r.header("x-read-model-position").is_some());
    assert_eq!(
        app.get("/api/v1/places?q=", None).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn search_reads_its_own_writes_and_prices_the_party() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let created = app
        .post(
            "/api/v1/flights",
            Some(&staff),
            r#"{"flight_number":"SF100","origin":"DFW","destination":"ORD","departure":"2026-12-01T14:00:00Z",
                "arrival":"2026-12-01T16:30:00Z","cabins":{"economy":{"capacity":10,"fare":{"amount":19900,"currency":"USD"}}}}"#,
        )
        .await;
    let written: u64 = created.header("x-event-position").unwrap().parse().unwrap();
    let r = app
        .get(&format!("/api/v1/flights/search?origin=dfw&destination=ORD&date=2026-12-01&cabin=economy&passengers=2&min_position={written}"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let seen: u64 = r.header("x-read-model-position").unwrap().parse().unwrap();
    assert!(seen >= written, "read-your-writes: {seen} < {written}");
    let offer = &r.body["flights"][0];
    assert_eq!(
        (
            offer["flight_id"].as_str(),
            offer["seats_available"].as_i64()
        ),
        (Some("SF100-2026-12-01"), Some(10))
    );
    assert_eq!(
        offer["price"]["amount"],
        2 * 19_900 + 2_985,
        "fare for two plus 7.5% taxes"
    );
    let none = app
        .get(
            "/api/v1/flights/search?origin=DFW&destination=ORD&date=2026-12-02",
            None,
        )
        .await;
    assert_eq!(none.body["flights"].as_array().unwrap().len(), 0);
    let too_many = app
        .get(
            "/api/v1/flights/search?origin=DFW&destination=ORD&date=2026-12-01&passengers=11",
            None,
        )
        .await;
    assert_eq!(
        (
            too_many.status.as_u16(),
            too_many.body["errors"][0]["field"].as_str()
        ),
        (422, Some("passengers"))
    );
    let bad = app
        .get(
            "/api/v1/flights/search?origin=DFW&destination=ORD&date=tomorrow",
            None,
        )
        .await;
    assert!(bad.status.is_client_error(), "{:?}", bad.status);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn staff_see_projection_lag_and_can_rebuild_while_queries_answer() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let r = app.get("/api/v1/admin/projections", Some(&staff)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body[0]["name"], "flight_availability");
    let before = skyfly_tests::eventually(
        Duration::from_secs(10),
        "the read model to have the flight",
        || async {
            let r = app
                .get(
                    "/api/v1/flights/search?origin=DFW&destination=ORD&date=2026-12-01",
                    None,
                )
                .await;
            (r.body["flights"].as_array().map(Vec::len) == Some(2)).then_some(r.body)
        },
    )
    .await;
    let table_before: i64 =
        sqlx::query_scalar("SELECT 'flight_availability'::regclass::oid::bigint")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let r = app
        .post(
            "/api/v1/admin/projections/flight_availability/rebuild",
            Some(&staff),
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert_eq!(
        app.post("/api/v1/admin/projections/nope/rebuild", Some(&staff), "")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let customer = app.customer("c@example.com").await;
    assert_eq!(
        app.get("/api/v1/admin/projections", Some(&customer))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Queries answer throughout, and the same after the switch.
    skyfly_tests::eventually(Duration::from_secs(20), "the rebuild to finish", || async {
        let r = app
            .get(
                "/api/v1/flights/search?origin=DFW&destination=ORD&date=2026-12-01",
                None,
            )
            .await;
        assert_eq!(
            r.body, before,
            "answers stay the same during and after the rebuild"
        );
        let leftover: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM projection_checkpoints WHERE name LIKE '%__rebuild'",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        let schemas: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM information_schema.schemata WHERE schema_name LIKE 'rebuild_%'",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap();
        let table_now: i64 =
            sqlx::query_scalar("SELECT 'flight_availability'::regclass::oid::bigint")
                .fetch_one(&app.pool)
                .await
                .unwrap();
        (table_now != table_before && leftover == 0 && schemas == 0).then_some(())
    })
    .await;
    assert!(flight.starts_with("SF100"));
}
