//! Scale-out with real processes on one database (docs/adr/0005): two worker processes share the
//! sagas, each saga claimed by one worker at a time; SIGKILL one of them mid-workload and the
//! other takes its sagas over when their claims lapse — every saga ends terminal, no step is lost
//! or repeated, and the books balance.

use skyfly_tests::process::Server;
use skyfly_tests::workload::{Workload, count, database_with_staff, wait_until};
use std::sync::Arc;
use std::time::Duration;

const BOOKINGS: usize = 60;

#[test]
fn killing_one_of_two_workers_hands_its_sagas_to_the_other() {
    let db = database_with_staff();
    let url = db.url().to_owned();
    let no_nats = [("NATS_URL", "")];
    // One process serves HTTP, projects and works; a second one only works.
    let main = Server::start_with(&url, &["--role", "all"], &no_nats);
    let second_id = uuid::Uuid::new_v4();
    let second = Server::start_with(
        &url,
        &["--role", "worker", "--worker-id", &second_id.to_string()],
        &no_nats,
    );
    assert!(second.addr.is_empty(), "a worker serves no HTTP");
    let workload = Workload::set_up(&url, &main);
    workload.slow_down(&main, "authorize_payment", 300);
    let main = Arc::new(main);
    let bookings = workload.place(&main, BOOKINGS);

    // Both workers drive sagas; kill the second while it holds claims on sagas in flight.
    let owners = |sql_owner: &str| {
        count(
            &url,
            &format!("SELECT count(*) FROM saga_wakeups WHERE lease_owner {sql_owner}"),
        )
    };
    wait_until(
        "the second worker to claim sagas in flight",
        Duration::from_secs(60),
        || (owners(&format!("= '{second_id}'")) >= 3).then_some(()),
    );
    let held = owners(&format!("= '{second_id}'"));
    second.kill();
    let ended = count(
        &url,
        "SELECT count(*) FROM events WHERE event_type = 'SagaEnded'",
    );
    assert!(
        ended < BOOKINGS as i64,
        "the kill must catch sagas in flight ({ended} of {BOOKINGS} had ended)"
    );

    let views = workload.await_terminal(&main, &bookings, Duration::from_secs(120));
    workload.check_books(
        &main,
        &views,
        &format!("after killing a worker that held {held} sagas"),
    );
    assert_eq!(
        count(&url, "SELECT count(*) FROM saga_wakeups"),
        0,
        "nothing is left for any worker"
    );
}
