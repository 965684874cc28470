//! Payments through the built-in card processor, loyalty commands, and booking confirmation, over
//! HTTP against a real PostgreSQL.

use axum::http::StatusCode;
use skyfly_tests::app::TestApp;

async fn intent(app: &TestApp, staff: &str, amount: i64) -> String {
    let r = app
        .post(
            "/api/v1/payments/intent",
            Some(staff),
            &format!(r#"{{"booking_id":"0193b1c2-0000-7000-8000-00000000000a","amount":{{"amount":{amount},"currency":"USD"}}}}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{:?}", r.body);
    r.body["payment_id"].as_str().unwrap().to_owned()
}

fn card(number: &str) -> String {
    format!(r#"{{"card_number":"{number}","exp_month":12,"exp_year":2030,"cvc":"123"}}"#)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_goes_authorized_captured_partly_then_fully_refunded() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let id = intent(&app, &staff, 10_000).await;
    let p = |op: &str| format!("/api/v1/payments/{id}/{op}");

    let r = app
        .post(&p("authorize"), Some(&staff), &card("4242 4242 4242 4242"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "authorized");
    assert_eq!(r.body["card"]["last4"], "4242");
    assert_eq!(r.body["card"]["brand"], "visa");

    let r = app.post(&p("capture"), Some(&staff), "").await;
    assert_eq!(
        (r.status, r.body["status"].as_str()),
        (StatusCode::OK, Some("captured")),
        "{:?}",
        r.body
    );
    assert_eq!(r.body["captured"]["amount"], 10_000);

    let r = app
        .post(
            &p("refund"),
            Some(&staff),
            r#"{"amount":{"amount":2500,"currency":"USD"}}"#,
        )
        .await;
    assert_eq!(r.body["status"], "partially_refunded", "{:?}", r.body);
    let r = app
        .post(
            &p("refund"),
            Some(&staff),
            r#"{"amount":{"amount":9000,"currency":"USD"}}"#,
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["errors"][0]["field"].as_str()),
        (422, Some("amount")),
        "{:?}",
        r.body
    );
    let r = app.post(&p("refund"), Some(&staff), "{}").await;
    assert_eq!(r.body["status"], "refunded", "{:?}", r.body);
    assert_eq!(r.body["refunded"]["amount"], 10_000);

    // The card number never reaches the log.
    let leaked: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE payload::text LIKE '%42424242%' OR metadata::text LIKE '%42424242%'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(leaked, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_test_card_answers_as_documented() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    for (number, status, code) in [
        ("5555555555554444", 200, "authorized"),
        ("4000000000000002", 402, "card_declined"),
        ("4000000000009995", 402, "insufficient_funds"),
        ("4000000000000069", 402, "expired_card"),
    ] {
        let id = intent(&app, &staff, 5_000).await;
        let r = app
            .post(
                &format!("/api/v1/payments/{id}/authorize"),
                Some(&staff),
                &card(number),
            )
            .await;
        assert_eq!(r.status.as_u16(), status, "{number}: {:?}", r.body);
        let view = app
            .get(&format!("/api/v1/payments/{id}"), Some(&staff))
            .await;
        if status == 200 {
            assert_eq!(view.body["status"], code);
        } else {
            assert_eq!(r.body["code"], code);
            assert_eq!(view.body["status"], "declined", "the decline is recorded");
            assert_eq!(view.body["decline_reason"], code);
        }
    }
    // A provider error is retryable: nothing is recorded, and a retry can succeed.
    let id = intent(&app, &staff, 5_000).await;
    let before = app.event_count().await;
    let r = app
        .post(
            &format!("/api/v1/payments/{id}/authorize"),
            Some(&staff),
            &card("4000000000000119"),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["code"].as_str()),
        (502, Some("processing_error"))
    );
    assert_eq!(app.event_count().await, before);
    let r = app
        .post(
            &format!("/api/v1/payments/{id}/authorize"),
            Some(&staff),
            &card("4242424242424242"),
        )
        .await;
    assert_eq!(r.body["status"], "authorized");
    // An amount over 10,000.00 is declined by the processor; a past expiry too.
    let big = intent(&app, &staff, 1_000_000).await;
    let r = app
        .post(
            &format!("/api/v1/payments/{big}/authorize"),
            Some(&staff),
            &card("4242424242424242"),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "10,000.00 exactly is allowed: {:?}",
        r.body
    );
    let r = app
        .post("/api/v1/payments/intent", Some(&staff), r#"{"booking_id":"0193b1c2-0000-7000-8000-00000000000a","amount":{"amount":1000001,"currency":"USD"}}"#)
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["errors"][0]["field"].as_str()),
        (422, Some("amount"))
    );
    let old = intent(&app, &staff, 100).await;
    let r = app
        .post(
            &format!("/api/v1/payments/{old}/authorize"),
            Some(&staff),
            r#"{"card_number":"4242424242424242","exp_month":1,"exp_year":2026,"cvc":"123"}"#,
        )
        .await;
    assert_eq!(
        r.body["code"], "expired_card",
        "expired by the engine clock (2026-11-22)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voids_captures_and_malformed_cards_are_checked() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let customer = app.customer("c@example.com").await;
    let id = intent(&app, &staff, 5_000).await;
    for (body, field) in [
        (
            r#"{"card_number":"4242424242424241","exp_month":12,"exp_year":2030,"cvc":"123"}"#,
            "card_number",
        ),
        (
            r#"{"card_number":"4242424242424242","exp_month":13,"exp_year":2030,"cvc":"123"}"#,
            "exp_month",
        ),
        (
            r#"{"card_number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"12"}"#,
            "cvc",
        ),
    ] {
        let r = app
            .post(
                &format!("/api/v1/payments/{id}/authorize"),
                Some(&staff),
                body,
            )
            .await;
        assert_eq!(
            (r.status.as_u16(), r.body["errors"][0]["field"].as_str()),
            (422, Some(field)),
            "{body}"
        );
    }
    let r = app
        .post(&format!("/api/v1/payments/{id}/void"), Some(&staff), "")
        .await;
    assert_eq!(
        r.status,
        StatusCode::CONFLICT,
        "a payment not authorized cannot be voided: {:?}",
        r.body
    );
    app.post(
        &format!("/api/v1/payments/{id}/authorize"),
        Some(&staff),
        &card("4242424242424242"),
    )
    .await;
    let r = app
        .post(&format!("/api/v1/payments/{id}/void"), Some(&staff), "")
        .await;
    assert_eq!(r.body["status"], "voided");
    let r = app
        .post(&format!("/api/v1/payments/{id}/capture"), Some(&staff), "")
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = app
        .post(
            "/api/v1/payments/0193b1c2-0000-7000-8000-0000000000ff/capture",
            Some(&staff),
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A customer cannot see a payment of a booking that is not theirs.
    let r = app
        .get(&format!("/api/v1/payments/{id}"), Some(&customer))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loyalty_award_redeem_restore_revoke() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let customer = app.customer("miles@example.com").await;
    let account = app.loyalty_account(&customer).await;
    let p = |op: &str| format!("/api/v1/loyalty/{account}/{op}");
    let b1 = "0193b1c2-0000-7000-8000-000000000101";
    let b2 = "0193b1c2-0000-7000-8000-000000000102";

    let r = app
        .post(
            &p("award"),
            Some(&staff),
            &format!(r#"{{"booking_id":"{b1}","miles":30000}}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(
        (r.body["balance"].as_u64(), r.body["tier"].as_str()),
        (Some(30_000), Some("silver"))
    );
    assert_eq!(r.body["next_tier"]["tier"], "gold");
    assert_eq!(r.body["next_tier"]["miles_needed"], 20_000);
    let again = app
        .post(
            &p("award"),
            Some(&staff),
            &format!(r#"{{"booking_id":"{b1}","miles":30000}}"#),
        )
        .await;
    assert_eq!(
        again.body["balance"], 30_000,
        "awarding a booking twice awards once"
    );

    let r = app
        .post(
            &p("redeem"),
            Some(&staff),
            &format!(r#"{{"booking_id":"{b2}","miles":40000}}"#),
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.body["errors"][0]["field"].as_str()),
        (422, Some("miles")),
        "{:?}",
        r.body
    );
    let r = app
        .post(
            &p("redeem"),
            Some(&staff),
            &format!(r#"{{"booking_id":"{b2}","miles":1000}}"#),
        )
        .await;
    assert_eq!(r.body["balance"], 29_000);
    let r = app
        .post(
            &p("restore"),
            Some(&staff),
            &format!(r#"{{"booking_id":"{b2}"}}"#),
        )
        .await;
    assert_eq!(r.body["balance"], 30_000);
    let r = app
        .post(
            &p("revoke"),
            Some(&staff),
            &format!(r#"{{"booking_id":"{b1}"}}"#),
        )
        .await;
    assert_eq!(
        (r.body["balance"].as_u64(), r.body["tier"].as_str()),
        (Some(0), Some("blue"))
    );

    let r = app
        .post(
            "/api/v1/loyalty/0193b1c2-0000-7000-8000-0000000000ff/award",
            Some(&staff),
            &format!(r#"{{"booking_id":"{b1}","miles":1}}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .post(
            &p("award"),
            Some(&customer),
            &format!(r#"{{"booking_id":"{b1}","miles":1}}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn confirming_a_booking_issues_tickets_once() {
    use skyfly_commands::Envelope;
    use skyfly_domain::booking::{Booking, BookingCommand, Passenger, PlaceBooking};
    use skyfly_domain::event::{Actor, Metadata};
    use skyfly_domain::identity::Email;
    use skyfly_domain::ids::{BookingId, CommandId, FlightId, UserId};

    let app = TestApp::new().await;
    let staff = app.staff().await;
    let booking = BookingId(uuid::Uuid::now_v7());
    let flight = FlightId::parse("SF100-2026-12-01").unwrap();
    let now = skyfly_domain::clock::Clock::now(&app.clock);
    let quote = skyfly_domain::pricing::quote(
        flight.clone(),
        skyfly_domain::Cabin::Economy,
        2,
        skyfly_domain::Money::usd(19_900),
        now,
    )
    .unwrap();
    let place = BookingCommand::PlaceBooking(PlaceBooking {
        booking_id: booking,
        customer: UserId(uuid::Uuid::now_v7()),
        flight_id: flight,
        departure: now + chrono::Duration::days(9),
        cabin: skyfly_domain::Cabin::Economy,
        passengers: vec![
            Passenger::new("Ada", "Lovelace").unwrap(),
            Passenger::new("Alan", "Turing").unwrap(),
        ],
        contact_email: Email::parse("ada@example.com").unwrap(),
        quote,
        redeem_miles: 0,
        requested_at: now,
    });
    app.state
        .bus
        .execute::<Booking>(
            booking,
            Envelope::new(
                place,
                Metadata::new(CommandId(uuid::Uuid::now_v7()), Actor::system("test")),
            ),
        )
        .await
        .unwrap();

    let path = format!("/api/v1/bookings/{booking}/confirm");
    let r = app.post(&path, Some(&staff), "").await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    assert_eq!(r.body["status"], "confirmed");
    let tickets = r.body["ticket_numbers"].as_array().unwrap().clone();
    assert_eq!(tickets.len(), 2);
    assert!(tickets.iter().all(|t| {
        t.as_str()
            .is_some_and(|t| t.len() == 13 && t.bytes().all(|b| b.is_ascii_digit()))
    }));
    let events = app.event_count().await;
    let again = app.post(&path, Some(&staff), "").await;
    assert_eq!(
        (again.status, again.body["ticket_numbers"].as_array()),
        (StatusCode::OK, Some(&tickets))
    );
    assert_eq!(
        app.event_count().await,
        events,
        "a second confirm records nothing"
    );
    let r = app
        .post(
            "/api/v1/bookings/0193b1c2-0000-7000-8000-0000000000ff/confirm",
            Some(&staff),
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{:?}", r.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_sees_their_balance_tier_history_and_the_tiers() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let customer = app.customer("miles@example.com").await;
    let account = app.loyalty_account(&customer).await;
    let b1 = "0193b1c2-0000-7000-8000-000000000201";
    app.post(
        &format!("/api/v1/loyalty/{account}/award"),
        Some(&staff),
        &format!(r#"{{"booking_id":"{b1}","miles":26000}}"#),
    )
    .await;
    let redeemed = app
        .post(
            &format!("/api/v1/loyalty/{account}/redeem"),
            Some(&staff),
            &format!(r#"{{"booking_id":"{b1}","miles":1000}}"#),
        )
        .await;
    // Read-your-writes: the account and history are read models.
    let written = redeemed.position("x-event-position");

    let me = app
        .get(
            &format!("/api/v1/loyalty/account?min_position={written}"),
            Some(&customer),
        )
        .await;
    assert!(
        me.position("x-read-model-position") >= written,
        "answered from a read model that includes the redemption"
    );
    assert_eq!(me.status, StatusCode::OK, "{:?}", me.body);
    assert_eq!(
        (me.body["balance"].as_u64(), me.body["tier"].as_str()),
        (Some(25_000), Some("silver"))
    );
    assert_eq!(
        me.body["earned_last_365_days"], 26_000,
        "redemptions do not lower the tier"
    );
    assert_eq!(
        (
            me.body["next_tier"]["tier"].as_str(),
            me.body["next_tier"]["miles_needed"].as_u64()
        ),
        (Some("gold"), Some(24_000))
    );

    let history = app
        .get(
            &format!("/api/v1/loyalty/history?min_position={written}"),
            Some(&customer),
        )
        .await;
    let kinds: Vec<(&str, i64)> = history.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["miles"].as_i64().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        vec![("opened", 0), ("awarded", 26_000), ("redeemed", -1_000)]
    );

    let tiers = app.get("/api/v1/loyalty/tiers", None).await;
    let table: Vec<(&str, u64, f64)> = tiers
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["tier"].as_str().unwrap(),
                t["threshold"].as_u64().unwrap(),
                t["multiplier"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        table,
        vec![
            ("blue", 0, 1.0),
            ("silver", 25_000, 1.25),
            ("gold", 50_000, 1.5),
            ("platinum", 75_000, 1.75),
            ("executive_platinum", 100_000, 2.0)
        ]
    );
    // Staff have no loyalty account of their own.
    assert_eq!(
        app.get("/api/v1/loyalty/account", Some(&staff))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/api/v1/loyalty/account", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

/// The status, code and field of a problem answer.
fn refusal(r: &skyfly_tests::app::Reply) -> (u16, Option<&str>, Option<&str>) {
    (
        r.status.as_u16(),
        r.body["code"].as_str(),
        r.body["errors"][0]["field"].as_str(),
    )
}

/// Regression (issue 12, item C): two maximal staff awards made a balance of
/// 18,446,744,073,709,551,614. Every amount a client gives is bounded at the edge, refused with
/// 422 naming the field: miles, money amounts, seat counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_amount_a_client_gives_is_bounded() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let customer = app.customer("bounds@example.com").await;
    let account = app.loyalty_account(&customer).await;
    let award = format!("/api/v1/loyalty/{account}/award");
    let miles = |b: u32, miles: u64| {
        format!(r#"{{"booking_id":"0193b1c2-0000-7000-8000-000000000{b:03}","miles":{miles}}}"#)
    };
    for (b, too_many) in [
        (1, 9_223_372_036_854_775_807_u64),
        (2, u64::MAX),
        (3, 10_000_001),
    ] {
        let r = app.post(&award, Some(&staff), &miles(b, too_many)).await;
        assert_eq!(
            refusal(&r),
            (422, Some("invalid_miles"), Some("miles")),
            "{too_many}: {:?}",
            r.body
        );
    }
    let r = app.post(&award, Some(&staff), &miles(4, 10_000_000)).await;
    assert_eq!(r.body["balance"], 10_000_000, "{:?}", r.body);
    let redeem = format!("/api/v1/loyalty/{account}/redeem");
    let r = app.post(&redeem, Some(&staff), &miles(5, 10_000_001)).await;
    assert_eq!(refusal(&r), (422, Some("invalid_miles"), Some("miles")));

    // Money: every amount goes through one bound.
    let r = app
        .post(
            "/api/v1/payments/intent",
            Some(&staff),
            r#"{"booking_id":"0193b1c2-0000-7000-8000-00000000000a","amount":{"amount":9000000000000000000,"currency":"USD"}}"#,
        )
        .await;
    assert_eq!(
        refusal(&r),
        (422, Some("amount_out_of_range"), Some("amount.amount"))
    );
    let flight = |capacity: u32, fare: i64| {
        format!(
            r#"{{"flight_number":"SF200","origin":"DFW","destination":"ORD",
                "departure":"2026-12-01T14:00:00Z","arrival":"2026-12-01T16:30:00Z",
                "cabins":{{"economy":{{"capacity":{capacity},"fare":{{"amount":{fare},"currency":"USD"}}}}}}}}"#
        )
    };
    let r = app
        .post("/api/v1/flights", Some(&staff), &flight(10, i64::MAX))
        .await;
    assert_eq!(
        refusal(&r),
        (
            422,
            Some("amount_out_of_range"),
            Some("cabins.economy.fare.amount")
        )
    );
    let r = app
        .post(
            "/api/v1/flights",
            Some(&staff),
            &flight(4_000_000_000, 19_900),
        )
        .await;
    assert_eq!(
        refusal(&r),
        (422, Some("invalid_capacity"), Some("capacity"))
    );

    // A booking's redeemed miles.
    let id = app.schedule_flight(&staff).await;
    let r = app
        .post(
            "/api/v1/bookings",
            Some(&customer),
            &skyfly_tests::app::booking_body(
                &id,
                "economy",
                1,
                "4242424242424242",
                18_446_744_073_709_551_615,
            ),
        )
        .await;
    assert_eq!(
        refusal(&r),
        (422, Some("invalid_miles"), Some("redeem_miles"))
    );
}
