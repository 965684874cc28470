//! Crash recovery with the real binary: sagas in flight, SIGKILL, restart; every saga ends
//! terminal and the books balance. Done for kills during three different steps.

use skyfly_tests::process::Server;
use skyfly_tests::workload::{Workload, count, database_with_staff, wait_until};
use std::sync::Arc;
use std::time::Duration;

const BOOKINGS: usize = 60;

fn crash_during(step: &str) {
    let db = database_with_staff();
    let url = db.url().to_owned();
    let server = Server::start(&url);
    let workload = Workload::set_up(&url, &server);
    // Slow the chosen step so that many sagas are in it when the process dies.
    workload.slow_down(&server, step, 300);
    let server = Arc::new(server);
    let bookings = workload.place(&server, BOOKINGS);

    // Kill while sagas are in the slowed step.
    let kind = match step {
        "reserve_seats" => "SeatsReserved",
        "authorize_payment" => "PaymentAuthorized",
        _ => "SeatsCommitted",
    };
    wait_until(
        "sagas to reach the slowed step",
        Duration::from_secs(60),
        || {
            (count(
                &url,
                &format!("SELECT count(*) FROM events WHERE event_type = '{kind}'"),
            ) >= 3)
                .then_some(())
        },
    );
    let server = Arc::try_unwrap(server).ok().expect("no other handle");
    server.kill();
    let ended = count(
        &url,
        "SELECT count(*) FROM events WHERE event_type = 'SagaEnded'",
    );
    assert!(
        BOOKINGS as i64 - ended >= 50,
        "the kill must catch at least 50 sagas in flight ({ended} of {BOOKINGS} had ended)"
    );

    let server = Server::start(&url);
    let views = workload.await_terminal(&server, &bookings, Duration::from_secs(120));
    workload.check_books(&server, &views, &format!("after a crash during {step}"));
    server.kill();
}

#[test]
fn sagas_survive_a_sigkill_during_seat_reservation() {
    crash_during("reserve_seats");
}

#[test]
fn sagas_survive_a_sigkill_during_payment_authorization() {
    crash_during("authorize_payment");
}

#[test]
fn sagas_survive_a_sigkill_while_confirming() {
    crash_during("confirm_booking");
}

/// SIGKILL while bookings are being placed, then every client retries with its
/// `Idempotency-Key`: each retry is answered at once (no `request_in_progress` left by the dead
/// process), no booking stays pending, no saga exists without its booking, and the books balance.
#[test]
fn bookings_placed_across_a_sigkill_are_each_recorded_once_with_their_saga() {
    const PLACED: usize = 40;
    let db = database_with_staff();
    let url = db.url().to_owned();
    let server = Arc::new(Server::start(&url));
    let workload = Workload::set_up(&url, &server);
    let killer = {
        let server = Arc::clone(&server);
        let url = url.clone();
        std::thread::spawn(move || {
            wait_until("bookings to be recorded", Duration::from_secs(60), || {
                (count(
                    &url,
                    "SELECT count(*) FROM events WHERE event_type = 'BookingRequested'",
                ) >= 3)
                    .then_some(())
            });
            // SIGKILL through the pid: the other handles are still placing.
            let pid = server.child.id().to_string();
            let killed = std::process::Command::new("kill")
                .args(["-KILL", &pid])
                .status()
                .expect("kill");
            assert!(killed.success());
        })
    };
    let first = workload.place_keyed(&server, PLACED, Some("crash"));
    killer.join().unwrap();
    let died = first.iter().filter(|r| r.is_err()).count();
    let server = Server::start(&url);
    let server = Arc::new(server);
    // Retried as a client would: again after a 503 ("retry later": the pool is busy with 40
    // clients at once), never after a 409, which must not outlive the dead process.
    let mut retried = workload.place_keyed(&server, PLACED, Some("crash"));
    for _ in 0..5 {
        if !retried
            .iter()
            .any(|r| r.as_ref().is_err_and(|e| e.starts_with("503")))
        {
            break;
        }
        retried = workload.place_keyed(&server, PLACED, Some("crash"));
    }
    let mut bookings = Vec::new();
    for (i, (before, after)) in first.iter().zip(&retried).enumerate() {
        let id = after
            .as_ref()
            .unwrap_or_else(|answer| panic!("retry of booking {i}: {answer}"));
        if let Ok(before) = before {
            assert_eq!(before, id, "booking {i}: a retry names the same booking");
        }
        bookings.push(id.clone());
    }
    let views = workload.await_terminal(&server, &bookings, Duration::from_secs(120));
    workload.check_books(&server, &views, "after a crash while placing");
    let streams = |prefix: &str| {
        count(
            &url,
            &format!(
                "SELECT count(DISTINCT stream_id) FROM events WHERE stream_id LIKE '{prefix}-%'"
            ),
        )
    };
    assert_eq!(
        streams("saga"),
        streams("booking"),
        "a saga per booking, no other"
    );
    assert_eq!(streams("booking"), PLACED as i64);
    eprintln!("{died} of {PLACED} first attempts died with the server");
    Arc::try_unwrap(server)
        .ok()
        .expect("no other handle")
        .kill();
}
