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

/// One rebuild of a read model at a time: a second one while it runs is `409
/// rebuild_in_progress`; the running one and a failed one are visible in `/admin/projections`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_rebuild_while_one_runs_is_refused_and_every_outcome_is_visible() {
    let app = TestApp::new().await;
    let staff = app.staff().await;
    let rebuild = |name: &'static str| {
        let (app, staff) = (&app, &staff);
        async move {
            app.post(
                &format!("/api/v1/admin/projections/{name}/rebuild"),
                Some(staff),
                "",
            )
            .await
        }
    };
    let view_of = |name: &'static str| {
        let (app, staff) = (&app, &staff);
        async move {
            let all = app.get("/api/v1/admin/projections", Some(staff)).await.body;
            all.as_array()
                .unwrap()
                .iter()
                .find(|p| p["name"] == name)
                .cloned()
                .unwrap()
        }
    };
    // Another process's rebuild holds the claim.
    let claim = skyfly_projections::RebuildClaim::acquire(&app.pool, "flight_availability")
        .await
        .unwrap();
    let r = rebuild("flight_availability").await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{:?}", r.body);
    assert_eq!(r.body["code"], "rebuild_in_progress");
    assert_eq!(
        view_of("flight_availability").await["rebuild"]["state"],
        "running"
    );
    drop(claim);
    let r = rebuild("flight_availability").await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    skyfly_tests::eventually(
        Duration::from_secs(20),
        "the rebuild to succeed",
        || async {
            (view_of("flight_availability").await["rebuild"]["state"] == "succeeded").then_some(())
        },
    )
    .await;

    // A rebuild that fails says so, and why.
    sqlx::raw_sql(
        "CREATE FUNCTION refuse_shadow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
           RAISE EXCEPTION 'injected: no room for a shadow checkpoint'; END $$; \
         CREATE TRIGGER refuse_shadow BEFORE INSERT ON projection_checkpoints FOR EACH ROW \
           WHEN (NEW.name = 'payment_view__rebuild') EXECUTE FUNCTION refuse_shadow();",
    )
    .execute(&app.pool)
    .await
    .unwrap();
    let r = rebuild("payment_view").await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{:?}", r.body);
    let failed =
        skyfly_tests::eventually(Duration::from_secs(20), "the rebuild to fail", || async {
            let v = view_of("payment_view").await;
            (v["rebuild"]["state"] == "failed").then_some(v)
        })
        .await;
    assert!(
        failed["rebuild"]["error"]
            .as_str()
            .unwrap()
            .contains("no room for a shadow checkpoint"),
        "{failed}"
    );
}
