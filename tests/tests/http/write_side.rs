//! The write side over HTTP, against a real PostgreSQL: identity, scheduling, inventory commands,
//! concurrency and idempotency headers, and how client mistakes are answered.

use axum::http::StatusCode;
use skyfly_tests::app::TestApp;

fn problem(r: &skyfly_tests::app::Reply) -> (u16, String, Option<String>) {
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json"),
        "{:?}",
        r.body
    );
    (
        r.status.as_u16(),
        r.body["code"].as_str().unwrap_or_default().to_owned(),
        r.body["errors"][0]["field"].as_str().map(str::to_owned),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_login_refresh_rotate_and_logout() {
    let app = TestApp::new().await;
    let r = app
        .post(
            "/api/v1/auth/register",
            None,
            r#"{"email":"Ada@Example.com","password":"password-123","name":"Ada"}"#,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let user_id = r.body["user_id"].as_str().unwrap().to_owned();
    assert!(r.header("x-event-position").is_some());

    let again = app
        .post(
            "/api/v1/auth/register",
            None,
            r#"{"email":"ada@example.com","password":"other-password","name":"Ada"}"#,
        )
        .await;
    assert_eq!(
        problem(&again),
        (409, "email_taken".into(), Some("email".into()))
    );

    let wrong = app
        .post(
            "/api/v1/auth/login",
            None,
            r#"{"email":"ada@example.com","password":"nope-nope-nope"}"#,
        )
        .await;
    assert_eq!(problem(&wrong).0, 401);
    let unknown = app
        .post(
            "/api/v1/auth/login",
            None,
            r#"{"email":"who@example.com","password":"nope-nope-nope"}"#,
        )
        .await;
    assert_eq!(problem(&unknown).1, "invalid_credentials");

    let login = app
        .post(
            "/api/v1/auth/login",
            None,
            r#"{"email":"ada@example.com","password":"password-123"}"#,
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    assert_eq!(login.body["token_type"], "Bearer");
    assert_eq!(login.body["expires_in"], 900);
    let access = login.body["access_token"].as_str().unwrap().to_owned();
    let refresh1 = login.body["refresh_token"].as_str().unwrap().to_owned();

    let me = app.get("/api/v1/users/me", Some(&access)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["user_id"], user_id.as_str());
    assert_eq!(me.body["email"], "ada@example.com");
    assert_eq!(me.body["role"], "customer");
    assert!(me.body["loyalty_account_id"].is_string());

    // Rotation: the new refresh token works, the old one no longer does.
    let rotated = app
        .post(
            "/api/v1/auth/token/refresh",
            None,
            &format!(r#"{{"refresh_token":"{refresh1}"}}"#),
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{:?}", rotated.body);
    let refresh2 = rotated.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(refresh1, refresh2);
    // Reusing the rotated-away token is refused and ends the session: refresh2 dies with it.
    let reused = app
        .post(
            "/api/v1/auth/token/refresh",
            None,
            &format!(r#"{{"refresh_token":"{refresh1}"}}"#),
        )
        .await;
    assert_eq!(problem(&reused).1, "invalid_refresh_token");
    let after_theft = app
        .post(
            "/api/v1/auth/token/refresh",
            None,
            &format!(r#"{{"refresh_token":"{refresh2}"}}"#),
        )
        .await;
    assert_eq!(after_theft.status, StatusCode::UNAUTHORIZED);

    // Logout revokes the refresh token of a fresh session.
    let login = app
        .post(
            "/api/v1/auth/login",
            None,
            r#"{"email":"ada@example.com","password":"password-123"}"#,
        )
        .await;
    let refresh3 = login.body["refresh_token"].as_str().unwrap().to_owned();
    let out = app
        .post(
            "/api/v1/auth/logout",
            None,
            &format!(r#"{{"refresh_token":"{refresh3}"}}"#),
        )
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let after = app
        .post(
            "/api/v1/auth/token/refresh",
            None,
            &format!(r#"{{"refresh_token":"{refresh3}"}}"#),
        )
        .await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_tokens_expire_on_the_engine_clock() {
    let app = TestApp::new().await;
    let token = app.customer("exp@example.com").await;
    assert_eq!(
        app.get("/api/v1/users/me", Some(&token)).await.status,
        StatusCode::OK
    );
    app.clock.advance(chrono::Duration::minutes(16));
    let r = app.get("/api/v1/users/me", Some(&token)).await;
    assert_eq!(problem(&r).0, 401);
    assert_eq!(
        app.get("/api/v1/users/me", Some("not-a-token"))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_input_is_validated_field_by_field() {
    let app = TestApp::new().await;
    for (body, field) in [
        (
            r#"{"email":"not-an-email","password":"password-123","name":"A"}"#,
            "email",
        ),
        (
            r#"{"email":"a@example.com","password":"short","name":"A"}"#,
            "password",
        ),
        (
            r#"{"email":"a@example.com","password":"password-123","name":"  "}"#,
            "name",
        ),
        (
            r#"{"email":"a@example.com","password":"password-123"}"#,
            "name",
        ),
        (
            r#"{"email":"a@example.com","password":"password-123","name":"A","admin":true}"#,
            "admin",
        ),
    ] {
        let r = app.post("/api/v1/auth/register", None, body).await;
        let (status, _, f) = problem(&r);
        assert_eq!(
            (status, f.as_deref()),
            (422, Some(field)),
            "{body}: {:?}",
            r.body
        );
    }
    assert_eq!(
        app.event_count().await,
        0,
        "no rejected registration recorded anything"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scheduling_validates_airports_times_and_capacity() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let customer = app.customer("c@example.com").await;
    let body = |origin: &str, arrival: &str, capacity: u32| {
        format!(
            r#"{{"flight_number":"SF200","origin":"{origin}","destination":"ORD","departure":"2026-12-01T14:00:00Z",
                "arrival":"{arrival}","cabins":{{"economy":{{"capacity":{capacity},"fare":{{"amount":10000,"currency":"USD"}}}}}}}}"#
        )
    };
    let r = app
        .post(
            "/api/v1/flights",
            Some(&staff),
            &body("ZZZ", "2026-12-01T16:00:00Z", 10),
        )
        .await;
    assert_eq!(
        problem(&r),
        (422, "unknown_airport".into(), Some("origin".into()))
    );
    let r = app
        .post(
            "/api/v1/flights",
            Some(&staff),
            &body("DFW", "2026-12-01T13:00:00Z", 10),
        )
        .await;
    assert_eq!(problem(&r).0, 422);
    assert_eq!(problem(&r).2.as_deref(), Some("arrival"));
    let r = app
        .post(
            "/api/v1/flights",
            Some(&staff),
            &body("DFW", "2026-12-01T16:00:00Z", 0),
        )
        .await;
    assert_eq!(problem(&r).0, 422);
    let r = app
        .post(
            "/api/v1/flights",
            Some(&customer),
            &body("DFW", "2026-12-01T16:00:00Z", 10),
        )
        .await;
    assert_eq!(problem(&r).0, 403);
    let r = app
        .post(
            "/api/v1/flights",
            None,
            &body("DFW", "2026-12-01T16:00:00Z", 10),
        )
        .await;
    assert_eq!(problem(&r).0, 401);
    let r = app
        .post(
            "/api/v1/flights",
            Some(&staff),
            &body("DFW", "2026-12-01T16:00:00Z", 10),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    assert_eq!(r.body["flight_id"], "SF200-2026-12-01");
    assert_eq!(
        r.header("location"),
        Some("/api/v1/flights/SF200-2026-12-01")
    );
    let dup = app
        .post(
            "/api/v1/flights",
            Some(&staff),
            &body("DFW", "2026-12-01T16:00:00Z", 10),
        )
        .await;
    assert_eq!(problem(&dup).0, 409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserving_honours_if_match_and_idempotency_keys() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let path = format!("/api/v1/inventory/{flight}/reserve");
    let body =
        r#"{"booking_id":"0193b1c2-0000-7000-8000-000000000001","cabin":"economy","seats":2}"#;

    let first = app
        .request(
            "POST",
            &path,
            Some(&staff),
            &[("idempotency-key", "k-1"), ("if-match", "\"1\"")],
            Some(body),
        )
        .await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(first.body["cabins"]["economy"]["held"], 2);
    assert_eq!(first.body["cabins"]["economy"]["available"], 8);
    assert_eq!(first.header("etag"), Some("\"2\""));
    let position = first.header("x-event-position").unwrap().to_owned();
    let events = app.event_count().await;

    // The same key and body: the identical response, and nothing appended.
    let again = app
        .request(
            "POST",
            &path,
            Some(&staff),
            &[("idempotency-key", "k-1"), ("if-match", "\"1\"")],
            Some(body),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.raw, first.raw);
    assert_eq!(again.header("x-event-position"), Some(position.as_str()));
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(app.event_count().await, events);

    // The same key, another body: 422.
    let other =
        r#"{"booking_id":"0193b1c2-0000-7000-8000-000000000001","cabin":"economy","seats":3}"#;
    let r = app
        .request(
            "POST",
            &path,
            Some(&staff),
            &[("idempotency-key", "k-1")],
            Some(other),
        )
        .await;
    assert_eq!(
        problem(&r),
        (
            422,
            "idempotency_key_reused".into(),
            Some("Idempotency-Key".into())
        )
    );

    // A stale If-Match: 409 version_conflict, nothing appended.
    let next =
        r#"{"booking_id":"0193b1c2-0000-7000-8000-000000000002","cabin":"economy","seats":1}"#;
    let r = app
        .request(
            "POST",
            &path,
            Some(&staff),
            &[("if-match", "\"1\"")],
            Some(next),
        )
        .await;
    assert_eq!(problem(&r), (409, "version_conflict".into(), None));
    assert_eq!(app.event_count().await, events);

    // Sold out is a domain refusal naming no field: 409 seats_unavailable.
    let big =
        r#"{"booking_id":"0193b1c2-0000-7000-8000-000000000003","cabin":"business","seats":3}"#;
    let r = app.post(&path, Some(&staff), big).await;
    assert_eq!(problem(&r).1, "seats_unavailable");

    // Commit and release round trip, and the events are in order in PostgreSQL.
    let commit = app
        .post(
            &format!("/api/v1/inventory/{flight}/commit"),
            Some(&staff),
            r#"{"booking_id":"0193b1c2-0000-7000-8000-000000000001"}"#,
        )
        .await;
    assert_eq!(commit.status, StatusCode::OK, "{:?}", commit.body);
    assert_eq!(commit.body["cabins"]["economy"]["sold"], 2);
    let stream: Vec<(i64, String)> = sqlx::query_as("SELECT stream_version, event_type FROM events WHERE stream_id = $1 ORDER BY global_position")
        .bind(format!("flight-{flight}"))
        .fetch_all(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        stream,
        vec![
            (1, "FlightScheduled".into()),
            (2, "SeatsReserved".into()),
            (3, "SeatsCommitted".into())
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_mistakes_are_problems_naming_the_field_never_500s() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let customer = app.customer("c@example.com").await;
    let flight = app.schedule_flight(&staff).await;
    let path = format!("/api/v1/inventory/{flight}/reserve");
    let ok_id = "0193b1c2-0000-7000-8000-000000000001";
    let cases: Vec<(String, String, u16, &str, Option<&str>)> = vec![
        (
            path.clone(),
            "{\"booking_id\":".into(),
            400,
            "malformed_json",
            None,
        ),
        (
            path.clone(),
            format!(r#"{{"booking_id":"{ok_id}","cabin":"economy","seats":1,"extra":1}}"#),
            422,
            "unknown_field",
            Some("extra"),
        ),
        (
            path.clone(),
            format!(r#"{{"booking_id":"{ok_id}","cabin":"economy","seats":-1}}"#),
            422,
            "invalid_field",
            Some("seats"),
        ),
        (
            path.clone(),
            format!(r#"{{"booking_id":"{ok_id}","cabin":"economy","seats":0}}"#),
            422,
            "invalid_seat_count",
            Some("seats"),
        ),
        (
            path.clone(),
            format!(r#"{{"booking_id":"{ok_id}","cabin":"lounge","seats":1}}"#),
            422,
            "invalid_field",
            Some("cabin"),
        ),
        (
            path.clone(),
            r#"{"booking_id":"nope","cabin":"economy","seats":1}"#.into(),
            422,
            "invalid_field",
            Some("booking_id"),
        ),
        (
            path.clone(),
            format!(r#"{{"booking_id":"{ok_id}","cabin":"economy"}}"#),
            422,
            "missing_field",
            Some("seats"),
        ),
        (
            "/api/v1/inventory/XX999-2026-12-01/reserve".into(),
            format!(r#"{{"booking_id":"{ok_id}","cabin":"economy","seats":1}}"#),
            422,
            "unknown_flight",
            Some("flight_id"),
        ),
        (
            "/api/v1/inventory/garbage/reserve".into(),
            format!(r#"{{"booking_id":"{ok_id}","cabin":"economy","seats":1}}"#),
            422,
            "invalid_field",
            Some("flight_id"),
        ),
    ];
    for (p, body, status, code, field) in cases {
        let r = app.post(&p, Some(&staff), &body).await;
        let got = problem(&r);
        assert_eq!(
            (got.0, got.1.as_str(), got.2.as_deref()),
            (status, code, field),
            "{p} {body}: {:?}",
            r.body
        );
    }
    let r = app.post(&path, None, "{}").await;
    assert_eq!(problem(&r).0, 401);
    let r = app.post(&path, Some(&customer), "{}").await;
    assert_eq!(problem(&r).0, 403);
    let r = app
        .request(
            "POST",
            &path,
            Some(&staff),
            &[("content-type", "text/plain")],
            Some("hello"),
        )
        .await;
    assert!(r.status.is_client_error(), "{:?}", r.status);
    assert_eq!(
        app.get("/api/v1/no/such/route", None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_docs_health_and_metrics_are_served() {
    let app = TestApp::new().await;
    let spec = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(spec.status, StatusCode::OK);
    for path in [
        "/api/v1/auth/register",
        "/api/v1/inventory/{flight_id}/reserve",
        "/api/v1/flights/import",
    ] {
        assert!(
            spec.body["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    let docs = app.get("/docs/", None).await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(
        String::from_utf8_lossy(&docs.raw).contains("swagger"),
        "interactive docs page"
    );
    let health = app.get("/api/v1/health", None).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body["status"], "ok");
    assert_eq!(health.body["checks"]["event_store"], "ok");
    assert_eq!(app.get("/metrics", None).await.status, StatusCode::OK);
}

/// The shipped sample file: 8 data rows; 4 are valid and name known airports, 4 are reported
/// with their line and reason. 2026-11-30 is a Monday: one week materialises SF100 Mon+Tue,
/// SF101 Mon and SF200 Wed = 4 flights. Importing it again adds nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schedule_file_imports_valid_rows_and_reports_the_rest() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let csv = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/data/sample_schedule.csv"
    ));
    let import = || async {
        let req = axum::http::Request::builder()
            .method("POST")
            .uri("/api/v1/flights/import?from=2026-11-30&days=7")
            .header("authorization", format!("Bearer {staff}"))
            .header("content-type", "text/csv")
            .body(axum::body::Body::from(csv))
            .unwrap();
        let r = tower::ServiceExt::oneshot(app.router.clone(), req)
            .await
            .unwrap();
        let status = r.status();
        let body = http_body_util::BodyExt::collect(r.into_body())
            .await
            .unwrap()
            .to_bytes();
        (
            status,
            serde_json::from_slice::<serde_json::Value>(&body).unwrap(),
        )
    };
    let (status, report) = import().await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["lines"], 8);
    assert_eq!(report["scheduled"], 4, "{report}");
    let lines: Vec<u64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, vec![6, 7, 8, 9], "{report}");
    assert!(
        report["errors"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("ZZZ"),
        "{report}"
    );
    let flight = app.get("/api/v1/flights/SF100-2026-12-01", None).await;
    assert_eq!(flight.status, StatusCode::OK);
    assert_eq!(flight.body["cabins"]["business"]["capacity"], 24);
    // 08:00 in Dallas (CST).
    assert_eq!(flight.body["departure"], "2026-12-01T14:00:00Z");

    let events = app.event_count().await;
    let (_, again) = import().await;
    assert_eq!(
        (
            again["flights_scheduled"].as_u64(),
            again["flights_already_scheduled"].as_u64()
        ),
        (Some(0), Some(4)),
        "{again}"
    );
    assert_eq!(
        app.event_count().await,
        events,
        "a second import appends nothing"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_state_changing_command_honours_if_match() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let r = app
        .post(
            "/api/v1/payments/intent",
            Some(&staff),
            r#"{"booking_id":"0193b1c2-0000-7000-8000-00000000000a","amount":{"amount":500,"currency":"USD"}}"#,
        )
        .await;
    let id = r.body["payment_id"].as_str().unwrap().to_owned();
    assert_eq!(r.header("etag"), Some("\"1\""));
    let card = r#"{"card_number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"}"#;
    app.post(
        &format!("/api/v1/payments/{id}/authorize"),
        Some(&staff),
        card,
    )
    .await;
    let stale = app
        .request(
            "POST",
            &format!("/api/v1/payments/{id}/capture"),
            Some(&staff),
            &[("if-match", "\"1\"")],
            Some("{}"),
        )
        .await;
    assert_eq!(
        (stale.status.as_u16(), stale.body["code"].as_str()),
        (409, Some("version_conflict"))
    );
    let fresh = app
        .request(
            "POST",
            &format!("/api/v1/payments/{id}/capture"),
            Some(&staff),
            &[("if-match", "\"2\"")],
            Some("{}"),
        )
        .await;
    assert_eq!(fresh.body["status"], "captured", "{:?}", fresh.body);
    let bad = app
        .request(
            "POST",
            &format!("/api/v1/payments/{id}/refund"),
            Some(&staff),
            &[("if-match", "three")],
            Some("{}"),
        )
        .await;
    assert_eq!(
        (bad.status.as_u16(), bad.body["errors"][0]["field"].as_str()),
        (422, Some("If-Match"))
    );
}
