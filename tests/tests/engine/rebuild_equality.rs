//! A mixed workload — bookings confirmed, failing at several steps, rejected, cancelled — then
//! every projection is rebuilt from the log and each rebuilt table is compared with the live one,
//! row for row.

use axum::http::StatusCode;
use skyfly_tests::app::TestApp;
use std::time::Duration;

const OK_CARD: &str = "4242424242424242";

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

/// Rebuilds fired at random while bookings run (several at once, for every read model) never
/// corrupt a read model: once the bookings settle, seats sold are the confirmed bookings and every
/// table equals a fresh rebuild of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn rebuilds_during_bookings_leave_every_read_model_equal_to_a_fresh_fold() {
    let app = std::sync::Arc::new(TestApp::new().await);
    let staff = app.staff().await;
    let flight = app.schedule_flight(&staff).await;
    let ada = app.customer("ada@example.com").await;
    let bookings: Vec<_> = (0..12)
        .map(|_| {
            let (app, ada, flight) = (app.clone(), ada.clone(), flight.clone());
            tokio::spawn(async move { app.book(&ada, &flight, "economy", 1, OK_CARD).await })
        })
        .collect();
    let names: Vec<&'static str> = skyfly_tests::app::read_models()
        .iter()
        .map(|p| p.name())
        .collect();
    let mut seed = uuid::Uuid::new_v4().as_u128();
    let (mut accepted, mut refused) = (0, 0);
    for _ in 0..8 {
        let mut round = Vec::new();
        for _ in 0..3 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let name = names[(seed >> 64) as usize % names.len()];
            let (app, staff) = (app.clone(), staff.clone());
            round.push(tokio::spawn(async move {
                app.post(
                    &format!("/api/v1/admin/projections/{name}/rebuild"),
                    Some(&staff),
                    "",
                )
                .await
            }));
        }
        for r in round {
            let r = r.await.unwrap();
            match r.status {
                StatusCode::ACCEPTED => accepted += 1,
                StatusCode::CONFLICT if r.body["code"] == "rebuild_in_progress" => refused += 1,
                other => panic!("a rebuild answered {other}: {:?}", r.body),
            }
        }
    }
    assert!(accepted > 0, "{accepted} accepted, {refused} refused");
    let mut ids = Vec::new();
    for b in bookings {
        ids.push(b.await.unwrap());
    }
    let mut confirmed = 0u64;
    for id in &ids {
        if app.settle(&ada, id).await["status"] == "confirmed" {
            confirmed += 1;
        }
    }
    // Every rebuild has ended.
    skyfly_tests::eventually(Duration::from_secs(60), "the rebuilds to end", || async {
        let all = app
            .get("/api/v1/admin/projections", Some(&staff))
            .await
            .body;
        all.as_array()?
            .iter()
            .all(|p| p["rebuild"].is_null() || p["rebuild"]["state"] == "succeeded")
            .then_some(())
    })
    .await;
    let head: i64 = sqlx::query_scalar("SELECT max(global_position) FROM events")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let head = u64::try_from(head).unwrap();
    skyfly_tests::contract::final_head(app.state.bus.store(), head).await;
    skyfly_tests::eventually(
        Duration::from_secs(30),
        "the projections to catch up",
        || async {
            let mut all = true;
            for p in &app.state.projectors {
                all &= p.position().await.unwrap() >= head;
            }
            all.then_some(())
        },
    )
    .await;
    let (available, held, sold) = app.availability(&flight, "economy").await;
    assert_eq!((sold, held, available), (confirmed, 0, 10 - confirmed));
    for projection in skyfly_tests::app::read_models() {
        let mut live = Vec::new();
        for t in projection.tables() {
            live.push(app.table(t).await);
        }
        skyfly_projections::rebuild(
            &app.pool,
            app.state.bus.store().as_ref(),
            projection.as_ref(),
            &|_, _| {},
        )
        .await
        .unwrap();
        for (t, before) in projection.tables().iter().zip(&live) {
            assert_eq!(
                &app.table(t).await,
                before,
                "{t} differs from a fresh rebuild"
            );
        }
    }
    eprintln!(
        "{accepted} rebuilds accepted, {refused} refused as in progress, {confirmed} of 12 confirmed"
    );
}
