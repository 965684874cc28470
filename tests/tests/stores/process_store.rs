//! The process-manager store contract, against both adapters.

use chrono::{Duration, TimeZone, Utc};
use skyfly_domain::ids::{BookingId, LoyaltyAccountId};
use skyfly_domain::process::ProcessStore;
use skyfly_infra::process::{MemoryProcessStore, PgProcessStore};
use std::sync::Arc;
use uuid::Uuid;

async fn contract(store: Arc<dyn ProcessStore>) {
    assert_eq!(store.checkpoint("saga").await.unwrap(), 0);
    store.save_checkpoint("saga", 10).await.unwrap();
    store.save_checkpoint("saga", 7).await.unwrap();
    assert_eq!(
        store.checkpoint("saga").await.unwrap(),
        10,
        "a checkpoint never moves back"
    );
    assert_eq!(store.checkpoint("other").await.unwrap(), 0);

    let t0 = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
    let (a, b, c) = (
        BookingId(Uuid::now_v7()),
        BookingId(Uuid::now_v7()),
        BookingId(Uuid::now_v7()),
    );
    store
        .schedule(a, Some(t0 + Duration::seconds(30)))
        .await
        .unwrap();
    store
        .schedule(b, Some(t0 + Duration::minutes(15)))
        .await
        .unwrap();
    store.schedule(c, None).await.unwrap();
    assert_eq!(
        store.due(t0, 10).await.unwrap(),
        vec![c],
        "unset means as soon as possible"
    );
    assert_eq!(
        store.next_wake().await.unwrap(),
        Some(t0 + Duration::seconds(30))
    );
    assert_eq!(
        store.due(t0 + Duration::minutes(1), 10).await.unwrap(),
        vec![c, a]
    );
    assert_eq!(
        store.due(t0 + Duration::hours(1), 2).await.unwrap().len(),
        2,
        "limit is honoured"
    );
    store.finish(c).await.unwrap();
    store
        .schedule(a, Some(t0 + Duration::hours(2)))
        .await
        .unwrap();
    assert_eq!(
        store.due(t0 + Duration::hours(1), 10).await.unwrap(),
        vec![b],
        "rescheduling moves the wake-up"
    );
    store.finish(a).await.unwrap();
    store.finish(b).await.unwrap();
    assert!(
        store
            .due(t0 + Duration::days(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.next_wake().await.unwrap(), None);

    // Miles expiries: due oldest first, one entry per (account, instant), done once carried out.
    let (x, y) = (
        LoyaltyAccountId(Uuid::now_v7()),
        LoyaltyAccountId(Uuid::now_v7()),
    );
    let year = t0 + Duration::days(365);
    store
        .schedule_expiry(y, year + Duration::days(1))
        .await
        .unwrap();
    store.schedule_expiry(x, year).await.unwrap();
    store.schedule_expiry(x, year).await.unwrap();
    assert!(store.due_expiries(t0, 10).await.unwrap().is_empty());
    assert_eq!(store.due_expiries(year, 10).await.unwrap(), vec![(x, year)]);
    assert_eq!(
        store
            .due_expiries(year + Duration::days(2), 10)
            .await
            .unwrap(),
        vec![(x, year), (y, year + Duration::days(1))]
    );
    store.expiry_done(x, year).await.unwrap();
    assert_eq!(
        store
            .due_expiries(year + Duration::days(2), 10)
            .await
            .unwrap(),
        vec![(y, year + Duration::days(1))],
        "an expiry carried out is not due again"
    );
}

#[tokio::test]
async fn the_memory_process_store_keeps_the_contract() {
    contract(Arc::new(MemoryProcessStore::default())).await;
}

#[tokio::test]
async fn the_postgres_process_store_keeps_the_contract_across_reconnects() {
    let db = skyfly_tests::db::fresh_database().await;
    let (url, pool) = (db.url.clone(), db.pool.clone());
    contract(Arc::new(PgProcessStore::new(pool.clone()))).await;
    // What was stored survives a new connection pool (a restart).
    let store = PgProcessStore::new(pool);
    store.save_checkpoint("saga", 42).await.unwrap();
    let saga = BookingId(Uuid::now_v7());
    store.schedule(saga, None).await.unwrap();
    let restarted = PgProcessStore::new(
        skyfly_infra::pg::connect_and_migrate(&url, 2)
            .await
            .unwrap(),
    );
    assert_eq!(restarted.checkpoint("saga").await.unwrap(), 42);
    assert_eq!(restarted.due(Utc::now(), 10).await.unwrap(), vec![saga]);
}

/// Two workers on one database: a saga one of them claimed is not handed to the other until it
/// is released, or until the claim lapses because its worker stopped renewing it (it died).
#[tokio::test]
async fn a_saga_is_claimed_by_one_worker_at_a_time_and_taken_over_when_its_claim_lapses() {
    let db = skyfly_tests::db::fresh_database().await;
    let pool = db.pool.clone();
    let lease = std::time::Duration::from_millis(300);
    let a = PgProcessStore::for_worker(pool.clone(), Uuid::now_v7(), lease);
    let b = PgProcessStore::for_worker(pool.clone(), Uuid::now_v7(), lease);
    let now = Utc::now();
    let (x, y) = (BookingId(Uuid::now_v7()), BookingId(Uuid::now_v7()));
    a.schedule(x, None).await.unwrap();
    assert_eq!(a.due(now, 10).await.unwrap(), vec![x], "a claims x");
    b.schedule(y, None).await.unwrap();
    assert_eq!(
        b.due(now, 10).await.unwrap(),
        vec![y],
        "b gets y, not a's x"
    );
    assert_eq!(
        a.due(now, 10).await.unwrap(),
        vec![x],
        "a keeps its own claim"
    );

    // Released: the other worker may take it.
    a.release(x).await.unwrap();
    assert_eq!(
        b.due(now, 10).await.unwrap().len(),
        2,
        "b takes x once a let it go"
    );
    assert!(a.due(now, 10).await.unwrap().is_empty(), "both are b's now");

    // b stops renewing (it died): its claims lapse and a takes both over; while b renews, not.
    b.renew_claims().await.unwrap();
    assert!(a.due(now, 10).await.unwrap().is_empty());
    let taken = skyfly_tests::eventually(
        std::time::Duration::from_secs(5),
        "b's claims to lapse",
        || async {
            let got = a.due(now, 10).await.unwrap();
            (got.len() == 2).then_some(got)
        },
    )
    .await;
    assert!(taken.contains(&x) && taken.contains(&y));
    assert!(b.due(now, 10).await.unwrap().is_empty(), "a holds them now");
}
