//! The HTTP edge: every client mistake in the query string, the path, the body or the route is a
//! problem document naming what is wrong; lists page with a checked `limit` and say `has_more`;
//! a NUL character is refused at the edge; card numbers never come back in an error.

use axum::http::StatusCode;
use skyfly_tests::app::{Reply, TestApp, booking_body};
use skyfly_tests::eventually;
use std::time::Duration;

/// A problem document: `application/problem+json` with this status, a stable code, and (if
/// `field` is given) `errors[0].field` naming it.
#[track_caller]
fn assert_problem(r: &Reply, status: u16, code: &str, field: Option<&str>) {
    assert_eq!(r.status.as_u16(), status, "{:?}", r.body);
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json"),
        "{:?}",
        r.body
    );
    assert_eq!(r.body["code"], code, "{:?}", r.body);
    assert_eq!(r.body["status"], status, "{:?}", r.body);
    if let Some(field) = field {
        assert_eq!(r.body["errors"][0]["field"], field, "{:?}", r.body);
    }
}

// Regression: query-string errors were `400 text/plain` ("Failed to deserialize query string").
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_query_values_are_problems_naming_the_parameter() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let customer = app.customer("edge@example.com").await;
    let search = "/api/v1/flights/search?origin=DFW&destination=ORD";
    let cases: [(&str, Option<&str>, &str, &str); 12] = [
        (
            &format!("{search}&date=2026-13-45"),
            None,
            "invalid_field",
            "date",
        ),
        (
            &format!("{search}&date=2026-12-01&passengers=abc"),
            None,
            "invalid_field",
            "passengers",
        ),
        (
            &format!("{search}&date=2026-12-01&passengers=99999999999"),
            None,
            "invalid_field",
            "passengers",
        ),
        ("/api/v1/flights/search", None, "missing_field", "origin"),
        (
            &format!("{search}&date=2026-12-01&min_position=abc"),
            None,
            "invalid_field",
            "min_position",
        ),
        (
            &format!("{search}&date=2026-12-01&colour=red"),
            None,
            "unknown_field",
            "colour",
        ),
        (
            "/api/v1/admin/events?after=-1",
            Some(staff.as_str()),
            "invalid_field",
            "after",
        ),
        (
            "/api/v1/admin/events?limit=abc",
            Some(staff.as_str()),
            "invalid_field",
            "limit",
        ),
        (
            "/api/v1/bookings?cursor=garbage",
            Some(customer.as_str()),
            "invalid_field",
            "cursor",
        ),
        (
            "/api/v1/bookings?limit=-3",
            Some(customer.as_str()),
            "invalid_field",
            "limit",
        ),
        (
            "/api/v1/admin/sagas?min_position=abc",
            Some(staff.as_str()),
            "invalid_field",
            "min_position",
        ),
        (
            "/api/v1/loyalty/history?limit=1.5",
            Some(customer.as_str()),
            "invalid_field",
            "limit",
        ),
    ];
    for (path, token, code, field) in cases {
        let r = app.get(path, token).await;
        assert_problem(&r, 422, code, Some(field));
    }
}

// Regression: an unknown route and a wrong method answered with an empty body.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn unknown_routes_and_wrong_methods_are_problems() {
    let app = TestApp::new().await;
    for path in [
        "/api/v1/nothing-here",
        "/nothing-here",
        "/api/v1/flights/x/y/z",
    ] {
        assert_problem(&app.get(path, None).await, 404, "not_found", None);
    }
    for (method, path) in [
        ("DELETE", "/api/v1/bookings"),
        ("PUT", "/api/v1/flights/search"),
        ("GET", "/api/v1/auth/login"),
    ] {
        let r = app.request(method, path, None, &[], None).await;
        assert_problem(&r, 405, "method_not_allowed", None);
    }
}

// Regression: a path parameter that is not UTF-8 once decoded was a `400 text/plain`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_path_parameters_are_problems_naming_the_parameter() {
    let app = TestApp::new().await;
    let r = app.get("/api/v1/flights/%FF%FE", None).await;
    assert_problem(&r, 422, "invalid_field", Some("flight_id"));
    let r = app.get("/api/v1/flights/SF100%002026-12-01", None).await;
    assert_problem(&r, 422, "invalid_character", Some("flight_id"));
}

// Regression: a NUL (U+0000) in a JSON string or a query value reached PostgreSQL, which refuses
// it in `text` and `jsonb`: a 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_nul_character_is_refused_at_the_edge_naming_the_field() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let customer = app.customer("nul@example.com").await;
    let flight = app.schedule_flight(&staff).await;
    let body = booking_body(&flight, "economy", 2, "4242424242424242", 0).replacen(
        r#""first_name":"P1""#,
        r#""first_name":"P\u0000""#,
        1,
    );
    let r = app.post("/api/v1/bookings", Some(&customer), &body).await;
    assert_problem(
        &r,
        422,
        "invalid_character",
        Some("passengers[1].first_name"),
    );
    let r = app
        .post(
            "/api/v1/auth/register",
            None,
            r#"{"email":"a@example.com","password":"password-123","name":"A\u0000B"}"#,
        )
        .await;
    assert_problem(&r, 422, "invalid_character", Some("name"));
    let r = app.get("/api/v1/places?q=DF%00W", None).await;
    assert_problem(&r, 422, "invalid_character", Some("q"));
    let r = app
        .get("/api/v1/bookings?status=pending%00", Some(&customer))
        .await;
    assert_problem(&r, 422, "invalid_character", Some("status"));
    // An escaped backslash before `u0000` is no NUL: the name is taken as written.
    let r = app
        .post(
            "/api/v1/auth/register",
            None,
            r#"{"email":"b@example.com","password":"password-123","name":"B\\u0000"}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
}

// Regression: serde's messages quoted the value ("invalid type: string \"4242…\""), so five
// malformed card fields echoed the card number (and the idempotency store kept it).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn malformed_card_fields_never_echo_the_card_number_or_cvc() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let customer = app.customer("card@example.com").await;
    let flight = app.schedule_flight(&staff).await;
    let good = booking_body(&flight, "economy", 1, "4242424242424242", 0);
    let payment = r#""payment":{"card_number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"}"#;
    assert!(good.contains(payment));
    let malformed = [
        (
            r#""card_number":4242424242424242,"exp_month":12,"exp_year":2030,"cvc":"987""#,
            "payment.card_number",
        ),
        (
            r#""card_number":"4242x4242y4242z4242","exp_month":12,"exp_year":2030,"cvc":"987""#,
            "payment.card_number",
        ),
        (
            r#""card_number":"42424242424242424242424242","exp_month":12,"exp_year":2030,"cvc":"987""#,
            "payment.card_number",
        ),
        (
            r#""card_number":"4242424242424242","exp_month":"4242424242424242","exp_year":2030,"cvc":"987""#,
            "payment.exp_month",
        ),
        (
            r#""card_number":"4242424242424242","exp_month":4242424242424242,"exp_year":2030,"cvc":"987""#,
            "payment.exp_month",
        ),
        (
            r#""card_number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":987"#,
            "payment.cvc",
        ),
        (
            r#""card_number":"4242424242424242","exp_month":12,"exp_year":[4242424242424242],"cvc":"987""#,
            "payment.exp_year",
        ),
        (
            r#""card_number":"4242424242424242","exp_month":12.4242424242,"exp_year":2030,"cvc":"987""#,
            "payment.exp_month",
        ),
    ];
    for (i, (card, field)) in malformed.into_iter().enumerate() {
        let body = good.replace(payment, &format!(r#""payment":{{{card}}}"#));
        let key = format!("card-{i}");
        let r = app
            .request(
                "POST",
                "/api/v1/bookings",
                Some(&customer),
                &[("idempotency-key", &key)],
                Some(&body),
            )
            .await;
        assert_problem(&r, 422, r.body["code"].as_str().unwrap_or("?"), Some(field));
        let text = String::from_utf8_lossy(&r.raw);
        for secret in ["4242", "987"] {
            assert!(!text.contains(secret), "{secret} echoed: {text}");
        }
    }
    // The same mistakes on a payment's own authorize route (refused before the payment is read).
    let payment_id = "0190f5a4-0000-7000-8000-000000000001";
    for body in [
        r#"{"card_number":4242424242424242,"exp_month":12,"exp_year":2030,"cvc":"987"}"#,
        r#"{"card_number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":987}"#,
    ] {
        let r = app
            .post(
                &format!("/api/v1/payments/{payment_id}/authorize"),
                Some(&staff),
                body,
            )
            .await;
        assert_eq!(r.status.as_u16(), 422, "{:?}", r.body);
        let text = String::from_utf8_lossy(&r.raw);
        assert!(!text.contains("4242") && !text.contains("987"), "{text}");
    }
}

// Regression: an out-of-range `limit` was silently clamped, and a list did not say whether
// another page follows.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lists_check_limit_and_say_whether_more_follows() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let customer = app.customer("pages@example.com").await;
    let flight = app.schedule_flight(&staff).await;
    for _ in 0..3 {
        app.book(&customer, &flight, "economy", 1, "4242424242424242")
            .await;
    }
    for (path, token, max) in [
        ("/api/v1/bookings", &customer, 200),
        ("/api/v1/admin/sagas", &staff, 200),
        ("/api/v1/admin/events", &staff, 1000),
        ("/api/v1/loyalty/history", &customer, 500),
    ] {
        for limit in ["0".to_owned(), (max + 1).to_string(), "-3".to_owned()] {
            let r = app.get(&format!("{path}?limit={limit}"), Some(token)).await;
            assert_problem(&r, 422, "invalid_field", Some("limit"));
            let message = r.body["errors"][0]["message"].as_str().unwrap();
            assert!(
                message.contains(&format!("1 to {max}")),
                "{path}: {message}"
            );
        }
    }
    // Three bookings: pages of two, then the last page of one, which has nothing after it.
    eventually(Duration::from_secs(10), "three bookings listed", || async {
        let r = app.get("/api/v1/bookings", Some(&customer)).await;
        (r.body["bookings"].as_array().map(Vec::len) == Some(3)).then_some(())
    })
    .await;
    let first = app.get("/api/v1/bookings?limit=2", Some(&customer)).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(first.body["bookings"].as_array().unwrap().len(), 2);
    assert_eq!(first.body["has_more"], true);
    let cursor = first.body["next_cursor"].as_u64().unwrap();
    let last = app
        .get(
            &format!("/api/v1/bookings?limit=2&cursor={cursor}"),
            Some(&customer),
        )
        .await;
    assert_eq!(last.body["bookings"].as_array().unwrap().len(), 1);
    assert_eq!(
        (
            last.body["has_more"].as_bool(),
            last.body["next_cursor"].as_u64()
        ),
        (Some(false), None)
    );
    // A page exactly as long as what is left is the last page: no cursor to an empty page.
    let exact = app.get("/api/v1/bookings?limit=3", Some(&customer)).await;
    assert_eq!(exact.body["bookings"].as_array().unwrap().len(), 3);
    assert_eq!(
        (
            exact.body["has_more"].as_bool(),
            exact.body["next_cursor"].as_u64()
        ),
        (Some(false), None)
    );
    let events = app.get("/api/v1/admin/events?limit=1", Some(&staff)).await;
    assert_eq!(
        (
            events.body["has_more"].as_bool(),
            events.body["events"].as_array().map(Vec::len)
        ),
        (Some(true), Some(1))
    );
    let sagas = app.get("/api/v1/admin/sagas", Some(&staff)).await;
    assert_eq!(sagas.body["has_more"], false, "{:?}", sagas.body);
}
