//! A mixed workload — bookings confirmed, failing at several steps, rejected, cancelled — then
//! every projection is rebuilt from the log and each rebuilt table is compared with the live one,
//! row for row.

use axum::http::StatusCode;
use skyfly_tests::app::TestApp;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_rebuilt_read_model_equals_the_live_one_row_for_row() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    app.post(
        "/api/v1/admin/faults",
        Some(&staff),
        r#"{"step":"award_miles","mode":"fail","count":1}"#,
    )
    .await;
    let book = |card: &'static str, cabin: &'static str, n: usize| {
        let people: Vec<String> = (0..n)
            .map(|i| format!(r#"{{"first_name":"P{i}","last_name":"X"}}"#))
            .collect();
        format!(
            r#"{{"flight_id":"{flight}","cabin":"{cabin}","passengers":[{}],"contact":{{"email":"a@example.com"}},
               "payment":{{"card_number":"{card}","exp_month":12,"exp_year":2030,"cvc":"123"}}}}"#,
            people.join(",")
        )
    };
    let mut ids = Vec::new();
    for (card, cabin, n) in [
        ("4242424242424242", "economy", 1), // fails at award_miles (the armed fault), compensated
        ("4242424242424242", "economy", 2), // confirmed
        ("4000000000000002", "economy", 1), // declined
        ("4000000000009995", "economy", 1), // insufficient funds
        ("4242424242424242", "business", 3), // seats unavailable: rejected
        ("4242424242424242", "economy", 1), // confirmed, then cancelled
    ] {
        let r = app
            .post("/api/v1/bookings", Some(&ada), &book(card, cabin, n))
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
        ids.push(r.body["booking_id"].as_str().unwrap().to_owned());
        // One at a time, so that the fault meets the first booking.
        app.settle(&ada, ids.last().unwrap()).await;
    }
    let last = ids.last().unwrap().clone();
    assert_eq!(
        app.post(&format!("/api/v1/bookings/{last}/cancel"), Some(&ada), "")
            .await
            .status,
        StatusCode::ACCEPTED
    );
    skyfly_tests::eventually(Duration::from_secs(30), "the cancellation", || async {
        app.state.process.nudge();
        (app.get(&format!("/api/v1/bookings/{last}"), Some(&ada))
            .await
            .body["status"]
            == "cancelled")
            .then_some(())
    })
    .await;
    let statuses: Vec<String> = {
        let mut v = Vec::new();
        for id in &ids {
            v.push(
                app.get(&format!("/api/v1/bookings/{id}"), Some(&ada))
                    .await
                    .body["status"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        v
    };
    assert_eq!(
        statuses,
        vec![
            "failed",
            "confirmed",
            "failed",
            "failed",
            "rejected",
            "cancelled"
        ]
    );

    // Wait until every live projection has caught up with the whole (final) log.
    let head: i64 = sqlx::query_scalar("SELECT max(global_position) FROM events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    skyfly_tests::contract::final_head(app.state.bus.store(), u64::try_from(head).unwrap()).await;
    skyfly_tests::eventually(
        Duration::from_secs(20),
        "the projections to catch up",
        || async {
            let mut all = true;
            for p in &app.state.projectors {
                all &= p.position().await.unwrap() >= u64::try_from(head).unwrap();
            }
            all.then_some(())
        },
    )
    .await;

    for projection in skyfly_tests::app::read_models() {
        let tables = projection.tables();
        let mut live = Vec::new();
        for t in tables {
            live.push(app.table(t).await);
        }
        assert!(
            live.iter().all(|rows| !rows.is_empty()),
            "{} has rows to compare",
            projection.name()
        );
        let events = skyfly_projections::rebuild(
            &app.pool,
            app.state.bus.store().as_ref(),
            projection.as_ref(),
            &|_, _| {},
        )
        .await
        .unwrap();
        assert!(events > 0);
        for (t, before) in tables.iter().zip(&live) {
            assert_eq!(
                &app.table(t).await,
                before,
                "{t} rebuilt differs from the live table"
            );
        }
    }
}
