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
    let written = created.position("x-event-position");
    let r = app
        .get(&format!("/api/v1/flights/search?origin=dfw&destination=ORD&date=2026-12-01&cabin=economy&passengers=2&min_position={written}"), None)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    let seen = r.position("x-read-model-position");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn customers_list_their_own_bookings_and_staff_filter_and_page_through_all() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    let eve = app.customer("eve@example.com").await;
    let body = |card: &str| {
        format!(
            r#"{{"flight_id":"{flight}","cabin":"economy","passengers":[{{"first_name":"A","last_name":"B"}}],
               "contact":{{"email":"a@example.com"}},"payment":{{"card_number":"{card}","exp_month":12,"exp_year":2030,"cvc":"123"}}}}"#
        )
    };
    let mut ada_ids = Vec::new();
    for card in ["4242424242424242", "4000000000000002", "4242424242424242"] {
        let r = app.post("/api/v1/bookings", Some(&ada), &body(card)).await;
        let written = r.header("x-event-position").unwrap().to_owned();
        ada_ids.push(r.body["booking_id"].as_str().unwrap().to_owned());
        // Read-your-writes: the list includes what was just placed.
        let mine = app
            .get(
                &format!("/api/v1/bookings?min_position={written}"),
                Some(&ada),
            )
            .await;
        assert!(mine.position("x-read-model-position") >= written.parse::<u64>().unwrap());
        assert_eq!(
            mine.body["bookings"][0]["booking_id"],
            ada_ids.last().unwrap().as_str(),
            "newest first"
        );
    }
    let r = app
        .post("/api/v1/bookings", Some(&eve), &body("4242424242424242"))
        .await;
    let eve_id = r.body["booking_id"].as_str().unwrap().to_owned();
    // Let the sagas finish and the read model follow.
    skyfly_tests::eventually(
        Duration::from_secs(30),
        "every booking to settle in the read model",
        || async {
            app.state.process.nudge();
            // All four are in the read model, and none is pending any more.
            let all = app.get("/api/v1/bookings", Some(&staff)).await;
            let bookings = all.body["bookings"].as_array()?;
            (bookings.len() == 4 && bookings.iter().all(|b| b["status"] != "pending")).then_some(())
        },
    )
    .await;

    let mine = app.get("/api/v1/bookings", Some(&ada)).await;
    let ids: Vec<&str> = mine.body["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["booking_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3);
    assert!(
        !ids.contains(&eve_id.as_str()),
        "a customer sees only their own"
    );
    let sneaky = app
        .get(
            &format!("/api/v1/bookings?customer_id={}", uuid::Uuid::nil()),
            Some(&eve),
        )
        .await;
    assert_eq!(
        sneaky.body["bookings"].as_array().unwrap().len(),
        1,
        "a customer cannot widen the filter"
    );

    let failed = app
        .get("/api/v1/bookings?status=failed", Some(&staff))
        .await;
    assert_eq!(failed.body["bookings"].as_array().unwrap().len(), 1);
    assert_eq!(
        failed.body["bookings"][0]["failure_reason"],
        "card_declined"
    );
    let confirmed = app
        .get(
            &format!("/api/v1/bookings?status=confirmed&flight_id={flight}"),
            Some(&staff),
        )
        .await;
    assert_eq!(confirmed.body["bookings"].as_array().unwrap().len(), 3);

    // Pages of two: 2 + 2, every booking once, newest first.
    let first = app.get("/api/v1/bookings?limit=2", Some(&staff)).await;
    let cursor = first.body["next_cursor"].as_u64().expect("a second page");
    let second = app
        .get(
            &format!("/api/v1/bookings?limit=2&cursor={cursor}"),
            Some(&staff),
        )
        .await;
    let mut all: Vec<String> = first.body["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .chain(second.body["bookings"].as_array().unwrap())
        .map(|b| b["booking_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(all.len(), 4);
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 4, "no booking on two pages");
    assert_eq!(
        app.get("/api/v1/bookings?status=lost", Some(&staff))
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_bookings_payments_are_listed_for_its_owner_and_staff_only() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    let eve = app.customer("eve@example.com").await;
    let r = app
        .post(
            "/api/v1/bookings",
            Some(&ada),
            &format!(
                r#"{{"flight_id":"{flight}","cabin":"economy","passengers":[{{"first_name":"A","last_name":"B"}}],
                   "contact":{{"email":"a@example.com"}},"payment":{{"card_number":"5555555555554444","exp_month":12,"exp_year":2030,"cvc":"123"}}}}"#
            ),
        )
        .await;
    let id = r.body["booking_id"].as_str().unwrap().to_owned();
    let payment = skyfly_tests::eventually(
        Duration::from_secs(30),
        "the payment to be captured in the read model",
        || async {
            app.state.process.nudge();
            let list = app
                .get(&format!("/api/v1/payments?booking_id={id}"), Some(&ada))
                .await;
            let p = list.body["payments"].as_array()?.first()?.clone();
            (p["status"] == "captured").then_some(p)
        },
    )
    .await;
    assert_eq!(
        (
            payment["card"]["brand"].as_str(),
            payment["card"]["last4"].as_str()
        ),
        (Some("mastercard"), Some("4444"))
    );
    let direct = app
        .get(
            &format!(
                "/api/v1/payments/{}",
                payment["payment_id"].as_str().unwrap()
            ),
            Some(&ada),
        )
        .await;
    assert_eq!(
        payment["captured"], direct.body["captured"],
        "the read model agrees with the payment"
    );
    assert_eq!(payment["amount"], direct.body["amount"]);
    let staff_list = app
        .get(&format!("/api/v1/payments?booking_id={id}"), Some(&staff))
        .await;
    assert_eq!(staff_list.body["payments"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get(&format!("/api/v1/payments?booking_id={id}"), Some(&eve))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/payments?booking_id=nope", Some(&ada))
            .await
            .status
            .as_u16()
            / 100,
        4
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_query_answer_carries_a_read_model_position() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let customer = app.customer("c@example.com").await;
    let written: u64 = sqlx::query_scalar::<_, i64>("SELECT max(global_position) FROM events")
        .fetch_one(&app.pool)
        .await
        .unwrap() as u64;
    skyfly_tests::contract::final_head(app.state.bus.store(), written).await;
    for (path, token) in [
        (format!("/api/v1/flights/{flight}"), None),
        (format!("/api/v1/flights/{flight}/availability"), None),
        ("/api/v1/users/me".to_owned(), Some(customer.as_str())),
        (
            "/api/v1/loyalty/account".to_owned(),
            Some(customer.as_str()),
        ),
        ("/api/v1/loyalty/tiers".to_owned(), None),
        ("/api/v1/admin/faults".to_owned(), Some(staff.as_str())),
        ("/api/v1/admin/sagas".to_owned(), Some(staff.as_str())),
    ] {
        let r = app.get(&path, token).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {:?}", r.body);
        let at: u64 = r
            .header("x-read-model-position")
            .unwrap_or_else(|| panic!("{path} has no X-Read-Model-Position"))
            .parse()
            .unwrap();
        assert!(at >= written, "{path}: {at} < {written}");
    }
}
