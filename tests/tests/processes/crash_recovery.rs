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
