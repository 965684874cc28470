//! The read models behind the query API: sagas and loyalty as documents and history rows, seat
//! availability, pagination, read-your-writes, and a read model rebuilt when its definition changes.

use axum::http::StatusCode;
use skyfly_tests::app::{TestApp, booking_body};
use skyfly_tests::eventually;
use std::sync::Arc;
use std::time::Duration;

const OK_CARD: &str = "4242424242424242";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn staff_page_through_sagas_newest_first() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    let mut placed = Vec::new();
    let mut written = 0;
    for _ in 0..3 {
        let r = app
            .post(
                "/api/v1/bookings",
                Some(&ada),
                &booking_body(&flight, "economy", 1, OK_CARD, 0),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
        written = r.position("x-event-position");
        placed.push(r.body["booking_id"].as_str().unwrap().to_owned());
    }
    let first = app
        .get(
            &format!("/api/v1/admin/sagas?limit=2&min_position={written}"),
            Some(&staff),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert!(first.position("x-read-model-position") >= written);
    let ids = |r: &skyfly_tests::app::Reply| -> Vec<String> {
        r.body["sagas"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["saga_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&first), vec![placed[2].clone(), placed[1].clone()]);
    let cursor = first.body["next_cursor"].as_u64().expect("a next page");
    let second = app
        .get(
            &format!("/api/v1/admin/sagas?limit=2&cursor={cursor}"),
            Some(&staff),
        )
        .await;
    assert_eq!(ids(&second), vec![placed[0].clone()]);
    assert!(second.body["next_cursor"].is_null());
    let unknown = app
        .get(
            "/api/v1/admin/sagas/0193b1c2-0000-7000-8000-0000000000aa",
            Some(&staff),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn availability_is_served_from_its_read_model() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let r = app
        .post(
            &format!("/api/v1/inventory/{flight}/reserve"),
            Some(&staff),
            r#"{"booking_id":"0193b1c2-0000-7000-8000-000000000301","cabin":"economy","seats":3}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let written = r.position("x-event-position");
    let a = app
        .get(
            &format!("/api/v1/flights/{flight}/availability?min_position={written}"),
            None,
        )
        .await;
    assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
    assert!(a.position("x-read-model-position") >= written);
    let economy = &a.body["cabins"]["economy"];
    assert_eq!(
        (
            economy["capacity"].as_u64(),
            economy["available"].as_u64(),
            economy["held"].as_u64(),
            economy["sold"].as_u64()
        ),
        (Some(10), Some(7), Some(3), Some(0))
    );
    assert_eq!(a.body["cabins"]["business"]["available"], 2);
    assert_eq!(a.body["origin"], "DFW");
    let missing = app
        .get("/api/v1/flights/SF999-2026-12-01/availability", None)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn loyalty_history_pages_oldest_first() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let customer = app.customer("miles@example.com").await;
    let account = app.loyalty_account(&customer).await;
    let mut written = 0;
    for (i, miles) in [1000, 2000, 3000].into_iter().enumerate() {
        let r = app
            .post(
                &format!("/api/v1/loyalty/{account}/award"),
                Some(&staff),
                &format!(
                    r#"{{"booking_id":"0193b1c2-0000-7000-8000-00000000040{i}","miles":{miles}}}"#
                ),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
        written = r.position("x-event-position");
    }
    let page = |q: String| {
        let app = &app;
        let customer = customer.clone();
        async move {
            app.get(&format!("/api/v1/loyalty/history?{q}"), Some(&customer))
                .await
        }
    };
    let first = page(format!("limit=3&min_position={written}")).await;
    let miles: Vec<i64> = first.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["miles"].as_i64().unwrap())
        .collect();
    assert_eq!(
        miles,
        vec![0, 1000, 2000],
        "opened, then the awards in order"
    );
    let cursor = first.body["next_cursor"].as_u64().expect("a next page");
    let second = page(format!("limit=3&cursor={cursor}")).await;
    assert_eq!(second.body["entries"][0]["miles"], 3000);
    assert_eq!(second.body["entries"].as_array().unwrap().len(), 1);
    assert!(second.body["next_cursor"].is_null());
    let account = app
        .get(
            &format!("/api/v1/loyalty/account?min_position={written}"),
            Some(&customer),
        )
        .await;
    assert_eq!(account.body["balance"], 6000);
    // Staff have no loyalty account of their own.
    assert_eq!(
        app.get("/api/v1/loyalty/account", Some(&staff))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_booking_just_placed_is_found_without_asking_for_a_position() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    for _ in 0..5 {
        let r = app
            .post(
                "/api/v1/bookings",
                Some(&ada),
                &booking_body(&flight, "economy", 1, OK_CARD, 0),
            )
            .await;
        let id = r.body["booking_id"].as_str().unwrap();
        // No min_position: a miss while the read model is behind the log waits for it.
        let b = app.get(&format!("/api/v1/bookings/{id}"), Some(&ada)).await;
        assert_eq!(b.status, StatusCode::OK, "{:?}", b.body);
        assert_eq!(b.body["booking_id"], id);
        assert!(b.body["payment_id"].is_string(), "the saga's part is there");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_read_model_built_with_another_definition_is_rebuilt_on_start() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    app.schedule_flight(&staff).await;
    let written: i64 = sqlx::query_scalar("SELECT max(global_position) FROM events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let head =
        skyfly_tests::contract::final_head(app.state.bus.store(), u64::try_from(written).unwrap())
            .await;
    let live = app
        .state
        .projectors
        .iter()
        .find(|p| p.name() == "flight_availability")
        .unwrap();
    eventually(
        Duration::from_secs(10),
        "the projector to catch up",
        || async { (live.position().await.unwrap() >= head).then_some(()) },
    )
    .await;
    // As if an older release had built it: another definition, and rows this one cannot trust.
    sqlx::query(
        "UPDATE projection_checkpoints SET definition = 'older' WHERE name = 'flight_availability'",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    sqlx::query("DELETE FROM flight_availability")
        .execute(&app.pool)
        .await
        .unwrap();

    let projector = Arc::new(skyfly_projections::Projector::new(
        app.pool.clone(),
        Arc::clone(app.state.bus.store()),
        Arc::new(skyfly_projections::flights::FlightAvailabilityProjection),
    ));
    let task = tokio::spawn(Arc::clone(&projector).run());
    let current = skyfly_projections::runtime::definition(
        &skyfly_projections::flights::FlightAvailabilityProjection,
    );
    eventually(Duration::from_secs(20), "the rebuild", || async {
        let (definition, rows): (Option<String>, i64) = sqlx::query_as(
            "SELECT definition, (SELECT count(*) FROM flight_availability) FROM projection_checkpoints \
             WHERE name = 'flight_availability'",
        )
        .fetch_one(&app.pool)
        .await
        .ok()?;
        (definition.as_deref() == Some(current.as_str()) && rows == 2).then_some(())
    })
    .await;
    task.abort();
}
