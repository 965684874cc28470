//! A SIGKILL of the real binary while its projector works through a backlog: after the restart
//! the read model equals one rebuilt from scratch — no event applied twice, none skipped.

use skyfly_tests::process::{Server, skyfly, skyfly_bin};
use skyfly_tests::workload::{count as query_i64, wait_until};
use std::io::Write;
use std::time::{Duration, Instant};

fn snapshot(url: &str) -> Vec<String> {
    skyfly_tests::block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(url).await.unwrap();
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT t::text FROM flight_availability t ORDER BY t::text")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        let _ = conn.close().await;
        rows
    })
}

#[test]
fn a_projector_killed_mid_backlog_resumes_without_applying_anything_twice() {
    let db = skyfly_tests::db::fresh_database_blocking();
    let url = db.url().to_owned();
    // A schedule of 3,000 flights: a backlog of 3,000 events for the projector.
    let csv = tempfile_path("projector-crash.csv");
    {
        let mut f = std::fs::File::create(&csv).unwrap();
        writeln!(f, "index,origin,destination,depart_time,depart_weekday,duration,arrival_time,arrival_weekday,flight_no,airline_code,airline,economy_fare,business_fare,first_fare").unwrap();
        for i in 0..3000 {
            // Local times at DFW and ORD (both US Central): 2 h 30 later, maybe the next day.
            let arrives = ((i / 60) % 24) * 60 + i % 60 + 150;
            writeln!(
                f,
                "{i},DFW,ORD,{:02}:{:02}:00,0,02:30:00,{:02}:{:02}:00,{},SF{},SF,SkyFly,{},,",
                (i / 60) % 24,
                i % 60,
                (arrives / 60) % 24,
                arrives % 60,
                arrives / (24 * 60),
                1000 + i,
                10_000 + i
            )
            .unwrap();
        }
    }
    // Imported while no server runs: the events wait for the projector (CLI commands run none).
    let import = std::process::Command::new(skyfly_bin())
        .args([
            "import",
            "schedule",
            csv.to_str().unwrap(),
            "--from",
            "2030-01-07",
            "--days",
            "1",
        ])
        .env("DATABASE_URL", &url)
        .env("NATS_URL", "")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run the import");
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stderr)
    );
    assert_eq!(
        query_i64(
            &url,
            "SELECT count(*) FROM events WHERE event_type = 'FlightScheduled'"
        ),
        3000
    );
    assert_eq!(
        query_i64(&url, "SELECT count(*) FROM flight_availability"),
        0,
        "no projector ran during the import"
    );

    // The server's projector works through the backlog in batches: kill it mid-way.
    let server = Server::start(&url);
    let started = Instant::now();
    while query_i64(&url, "SELECT count(*) FROM flight_availability") == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the projector never started"
        );
    }
    server.kill();
    let applied = query_i64(&url, "SELECT count(*) FROM flight_availability");
    assert!(
        applied < 3000,
        "the kill must land before the projector finished ({applied} of 3000 applied)"
    );
    assert_eq!(
        applied % 1000,
        0,
        "only whole batches are ever visible ({applied})"
    );

    let server = Server::start(&url);
    wait_until(
        "the restarted projector to finish",
        Duration::from_secs(120),
        || {
            (query_i64(&url, "SELECT count(*) FROM flight_availability") == 3000
                && query_i64(
                    &url,
                    "SELECT position FROM projection_checkpoints WHERE name = 'flight_availability'",
                ) >= query_i64(&url, "SELECT max(global_position) FROM events"))
            .then_some(())
        },
    );
    let live = snapshot(&url);
    server.kill();
    let rebuilt = skyfly(&url, &["projections", "rebuild", "flight_availability"]);
    assert!(
        rebuilt.status.success(),
        "{}",
        String::from_utf8_lossy(&rebuilt.stderr)
    );
    assert_eq!(
        snapshot(&url),
        live,
        "after a SIGKILL the read model equals a rebuild from scratch"
    );
    let _ = std::fs::remove_file(&csv);
}

fn tempfile_path(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("{}-{name}", uuid::Uuid::new_v4().simple()))
}
