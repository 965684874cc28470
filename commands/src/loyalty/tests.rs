//! The loyalty use cases on the in-memory stores.

use super::*;
use crate::Envelope;
use crate::testing::{TestApplication, staff_call};
use crate::{RefusalKind, UseCaseError};
use skyfly_domain::ids::{BookingId, UserId};
use skyfly_domain::loyalty::{LoyaltyEvent, OpenAccount};

fn booking(n: u128) -> BookingId {
    BookingId(uuid::Uuid::from_u128(n))
}

/// An open account (as registration opens it).
async fn open(t: &TestApplication) -> LoyaltyAccountId {
    let owner = UserId(uuid::Uuid::from_u128(7));
    let account_id = LoyaltyAccountId::for_user(owner);
    let command = LoyaltyCommand::OpenAccount(OpenAccount {
        account_id,
        owner,
        at: t.app.now(),
    });
    t.app
        .bus
        .execute::<LoyaltyAccount>(account_id, Envelope::new(command, staff_call().metadata()))
        .await
        .unwrap();
    account_id
}

fn unopened() -> LoyaltyAccountId {
    LoyaltyAccountId::for_user(UserId(uuid::Uuid::from_u128(8)))
}

async fn balance(t: &TestApplication, id: LoyaltyAccountId) -> (u64, u64) {
    let (account, version) = t.app.bus.load::<LoyaltyAccount>(id).await.unwrap();
    (account.balance(), version)
}

async fn awarded(t: &TestApplication, miles: u64) -> LoyaltyAccountId {
    let account_id = open(t).await;
    let command = Award {
        account_id,
        booking_id: booking(1),
        miles,
    };
    award(&t.app, &staff_call(), command).await.unwrap();
    account_id
}

fn assert_not_found(e: &UseCaseError) {
    assert!(
        matches!(e, UseCaseError::NotFound("loyalty account")),
        "{e:?}"
    );
}

#[tokio::test]
async fn awarding_miles_adds_a_lot_for_the_booking() {
    let t = TestApplication::new();
    let account_id = open(&t).await;
    let command = Award {
        account_id,
        booking_id: booking(1),
        miles: 1_200,
    };
    let done = award(&t.app, &staff_call(), command).await.unwrap();
    let [
        LoyaltyEvent::MilesAwarded {
            booking_id, miles, ..
        },
    ] = &done.events[..]
    else {
        panic!("expected one award, got {:?}", done.events);
    };
    assert_eq!((*booking_id, *miles), (booking(1), 1_200));
    assert_eq!(balance(&t, account_id).await, (1_200, 2));
}

#[tokio::test]
async fn awarding_miles_to_an_account_that_is_not_open_is_not_found() {
    let t = TestApplication::new();
    let command = Award {
        account_id: unopened(),
        booking_id: booking(1),
        miles: 1_200,
    };
    let e = award(&t.app, &staff_call(), command).await.unwrap_err();
    assert_not_found(&e);
    let (_, version) = balance(&t, unopened()).await;
    assert_eq!(version, 0, "nothing recorded");
}

#[tokio::test]
async fn revoking_takes_the_award_back() {
    let t = TestApplication::new();
    let account_id = awarded(&t, 1_200).await;
    let command = Revoke {
        account_id,
        booking_id: booking(1),
    };
    let done = revoke(&t.app, &staff_call(), command).await.unwrap();
    assert!(
        matches!(
            &done.events[..],
            [LoyaltyEvent::MilesRevoked { miles: 1_200, .. }]
        ),
        "{:?}",
        done.events
    );
    assert_eq!(balance(&t, account_id).await, (0, 3));
}

#[tokio::test]
async fn revoking_on_an_account_that_is_not_open_is_not_found() {
    let t = TestApplication::new();
    let command = Revoke {
        account_id: unopened(),
        booking_id: booking(1),
    };
    let e = revoke(&t.app, &staff_call(), command).await.unwrap_err();
    assert_not_found(&e);
}

#[tokio::test]
async fn redeeming_spends_miles_on_a_booking() {
    let t = TestApplication::new();
    let account_id = awarded(&t, 1_200).await;
    let command = Redeem {
        account_id,
        booking_id: booking(2),
        miles: 500,
    };
    let done = redeem(&t.app, &staff_call(), command).await.unwrap();
    assert!(
        matches!(
            &done.events[..],
            [LoyaltyEvent::MilesRedeemed { miles: 500, .. }]
        ),
        "{:?}",
        done.events
    );
    assert_eq!(balance(&t, account_id).await, (700, 3));
}

#[tokio::test]
async fn redeeming_more_than_the_balance_is_refused_with_insufficient_miles() {
    let t = TestApplication::new();
    let account_id = awarded(&t, 1_200).await;
    let command = Redeem {
        account_id,
        booking_id: booking(2),
        miles: 1_201,
    };
    let e = redeem(&t.app, &staff_call(), command).await.unwrap_err();
    match e {
        UseCaseError::Refused(r) => {
            assert_eq!(
                (r.code, r.kind),
                ("insufficient_miles", RefusalKind::Invalid)
            );
            assert_eq!(r.field.as_deref(), Some("miles"));
        }
        other => panic!("expected insufficient_miles, got {other:?}"),
    }
    assert_eq!(
        balance(&t, account_id).await,
        (1_200, 2),
        "nothing recorded"
    );
}

#[tokio::test]
async fn restoring_gives_redeemed_miles_back() {
    let t = TestApplication::new();
    let account_id = awarded(&t, 1_200).await;
    let redeeming = Redeem {
        account_id,
        booking_id: booking(2),
        miles: 500,
    };
    redeem(&t.app, &staff_call(), redeeming).await.unwrap();
    let command = Restore {
        account_id,
        booking_id: booking(2),
    };
    let done = restore(&t.app, &staff_call(), command).await.unwrap();
    assert!(
        matches!(
            &done.events[..],
            [LoyaltyEvent::MilesRestored { miles: 500, .. }]
        ),
        "{:?}",
        done.events
    );
    assert_eq!(balance(&t, account_id).await, (1_200, 4));
}

#[tokio::test]
async fn restoring_on_an_account_that_is_not_open_is_not_found() {
    let t = TestApplication::new();
    let command = Restore {
        account_id: unopened(),
        booking_id: booking(2),
    };
    let e = restore(&t.app, &staff_call(), command).await.unwrap_err();
    assert_not_found(&e);
}
