//! Given/when/then tests of the loyalty account.

use super::*;
use crate::aggregate::{Aggregate, fold};
use crate::cabin::Cabin;
use crate::ids::{BookingId, LoyaltyAccountId, UserId};
use crate::money::Money;
use crate::testing::{Rng, assert_round_trips, given};
use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

fn day(d: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap() + Duration::days(d)
}

fn owner() -> UserId {
    UserId(Uuid::from_u128(7))
}

fn booking(n: u128) -> BookingId {
    BookingId(Uuid::from_u128(n))
}

fn open(at: DateTime<Utc>) -> OpenAccount {
    OpenAccount {
        account_id: LoyaltyAccountId::for_user(owner()),
        owner: owner(),
        at,
    }
}

fn opened() -> LoyaltyEvent {
    LoyaltyEvent::LoyaltyAccountOpened {
        account_id: LoyaltyAccountId::for_user(owner()),
        owner: owner(),
        opened_at: day(0),
    }
}

fn awarded(b: u128, miles: u64, d: i64) -> LoyaltyEvent {
    awarded_at_tier(b, miles, d, Tier::Blue)
}

fn awarded_at_tier(b: u128, miles: u64, d: i64, tier: Tier) -> LoyaltyEvent {
    LoyaltyEvent::MilesAwarded {
        booking_id: booking(b),
        miles,
        tier,
        earned_at: day(d),
        expires_at: day(d + 365),
    }
}

/// `miles` of the lot earned on day `d`.
fn slice(d: i64, miles: u64) -> LotSlice {
    LotSlice {
        earned_at: day(d),
        expires_at: day(d + 365),
        miles,
    }
}

fn total(slices: &[LotSlice]) -> u64 {
    slices.iter().map(|s| s.miles).sum()
}

fn revoked(b: u128, slices: Vec<LotSlice>, d: i64) -> LoyaltyEvent {
    LoyaltyEvent::MilesRevoked {
        booking_id: booking(b),
        miles: total(&slices),
        consumed: slices,
        revoked_at: day(d),
    }
}

fn redeemed(b: u128, slices: Vec<LotSlice>, d: i64) -> LoyaltyEvent {
    LoyaltyEvent::MilesRedeemed {
        booking_id: booking(b),
        miles: total(&slices),
        consumed: slices,
        redeemed_at: day(d),
    }
}

fn restored(b: u128, slices: Vec<LotSlice>, d: i64) -> LoyaltyEvent {
    LoyaltyEvent::MilesRestored {
        booking_id: booking(b),
        miles: total(&slices),
        lots: slices,
        restored_at: day(d),
    }
}

fn expired(slices: Vec<LotSlice>, d: i64) -> LoyaltyEvent {
    LoyaltyEvent::MilesExpired {
        miles: total(&slices),
        lots: slices,
        expired_at: day(d),
    }
}

fn award(b: u128, accrual: Accrual, d: i64) -> AwardMiles {
    AwardMiles {
        booking_id: booking(b),
        accrual,
        at: day(d),
    }
}

fn fare(cents: i64, cabin: Cabin) -> Accrual {
    Accrual::Fare {
        paid_by_card: Money::usd(cents),
        cabin,
    }
}

fn revoke(b: u128, d: i64) -> RevokeMiles {
    RevokeMiles {
        booking_id: booking(b),
        at: day(d),
    }
}

fn redeem(b: u128, miles: u64, d: i64) -> RedeemMiles {
    RedeemMiles {
        booking_id: booking(b),
        miles,
        at: day(d),
    }
}

fn restore(b: u128, d: i64) -> RestoreMiles {
    RestoreMiles {
        booking_id: booking(b),
        at: day(d),
    }
}

fn expire(d: i64) -> ExpireMiles {
    ExpireMiles { at: day(d) }
}

fn remaining(state: &LoyaltyAccount) -> Vec<u64> {
    state.lots().iter().map(|l| l.remaining).collect()
}

// ---- OpenAccount ----

#[test]
fn an_account_that_was_never_opened_is_not_open() {
    let state = LoyaltyAccount::default();
    assert!(!state.is_open());
    assert_eq!((state.owner(), state.balance()), (None, 0));
}

#[test]
fn opening_an_account_records_its_owner() {
    let state = given::<LoyaltyAccount>([])
        .when(open(day(0)))
        .then([opened()]);
    assert!(state.is_open());
    assert_eq!(state.owner(), Some(owner()));
    assert_eq!(
        state.account().unwrap().account_id,
        LoyaltyAccountId::for_user(owner())
    );
    assert_eq!((state.balance(), state.tier_at(day(0))), (0, Tier::Blue));
    assert_eq!(state.totals(), MileTotals::default());
}

#[test]
fn opening_an_open_account_again_is_a_no_op() {
    given::<LoyaltyAccount>([opened()])
        .when(open(day(1)))
        .then_nothing();
}

#[test]
fn open_fails_when_the_account_belongs_to_someone_else() {
    let other = UserId(Uuid::from_u128(8));
    given::<LoyaltyAccount>([opened()])
        .when(OpenAccount {
            account_id: LoyaltyAccountId::for_user(owner()),
            owner: other,
            at: day(1),
        })
        .then_err(LoyaltyError::AlreadyOpen);
}

// ---- tiers ----

#[test]
fn each_tier_starts_exactly_at_its_threshold() {
    for (threshold, below, tier) in [
        (25_000, Tier::Blue, Tier::Silver),
        (50_000, Tier::Silver, Tier::Gold),
        (75_000, Tier::Gold, Tier::Platinum),
        (100_000, Tier::Platinum, Tier::ExecutivePlatinum),
    ] {
        assert_eq!(tier.threshold(), threshold);
        assert_eq!(Tier::for_miles(threshold - 1), below, "{threshold} - 1");
        assert_eq!(Tier::for_miles(threshold), tier, "{threshold}");
    }
    assert_eq!(Tier::for_miles(0), Tier::Blue);
    assert_eq!(Tier::Blue.threshold(), 0);
    assert_eq!(Tier::for_miles(u64::MAX), Tier::ExecutivePlatinum);
}

#[test]
fn tier_multipliers_run_from_one_to_two() {
    assert_eq!(
        Tier::ALL.map(Tier::multiplier_percent),
        [100, 125, 150, 175, 200]
    );
    assert_eq!(
        Tier::ALL.map(Tier::threshold),
        [0, 25_000, 50_000, 75_000, 100_000]
    );
}

#[test]
fn tiers_go_up_one_at_a_time_and_serialize_in_snake_case() {
    let ups: Vec<_> = Tier::ALL.into_iter().map(Tier::next).collect();
    assert_eq!(
        ups,
        [
            Some(Tier::Silver),
            Some(Tier::Gold),
            Some(Tier::Platinum),
            Some(Tier::ExecutivePlatinum),
            None
        ]
    );
    for tier in Tier::ALL {
        assert_eq!(serde_json::to_value(tier).unwrap(), tier.as_str());
        assert_eq!(tier.to_string(), tier.as_str());
    }
    assert_eq!(Tier::ExecutivePlatinum.as_str(), "executive_platinum");
}

#[test]
fn the_tier_counts_only_miles_earned_in_the_last_365_days() {
    let state = fold::<LoyaltyAccount>(&[opened(), awarded(1, 30_000, 0), awarded(2, 30_000, 200)]);
    assert_eq!(state.earned_last_365_days(day(300)), 60_000);
    assert_eq!(state.tier_at(day(300)), Tier::Gold);
    assert_eq!(state.tier_at(day(365) - Duration::seconds(1)), Tier::Gold);
    // Exactly 365 days later the first award no longer counts.
    assert_eq!(state.tier_at(day(365)), Tier::Silver);
    assert_eq!(state.tier_at(day(565)), Tier::Blue);
    // Nor do miles earned after the instant asked about.
    assert_eq!(state.earned_last_365_days(day(100)), 30_000);
    given::<LoyaltyAccount>([opened(), awarded(1, 30_000, 0), awarded(2, 30_000, 200)])
        .when(award(3, fare(10_000, Cabin::Economy), 365))
        .then([awarded_at_tier(3, 125, 365, Tier::Silver)]);
}

#[test]
fn revoked_miles_do_not_count_toward_the_tier() {
    let state = fold::<LoyaltyAccount>(&[
        opened(),
        awarded(1, 30_000, 0),
        revoked(1, vec![slice(0, 30_000)], 1),
    ]);
    assert_eq!(state.earned_last_365_days(day(1)), 0);
    assert_eq!(state.tier_at(day(1)), Tier::Blue);
}

#[test]
fn a_revocation_capped_at_the_balance_removes_from_the_tier_only_what_it_took_back() {
    let state = given::<LoyaltyAccount>([
        opened(),
        awarded(1, 30_000, 0),
        redeemed(9, vec![slice(0, 10_000)], 1),
    ])
    .when(revoke(1, 2))
    .then([revoked(1, vec![slice(0, 20_000)], 2)]);
    assert_eq!(state.earned_last_365_days(day(2)), 10_000);
}

#[test]
fn redeemed_and_expired_miles_still_count_toward_the_tier() {
    let state = fold::<LoyaltyAccount>(&[
        opened(),
        awarded(1, 20_000, 0),
        awarded(2, 10_000, 100),
        redeemed(9, vec![slice(0, 20_000)], 101),
    ]);
    assert_eq!(
        (state.balance(), state.tier_at(day(102))),
        (10_000, Tier::Silver)
    );
}

#[test]
fn the_next_tier_says_how_many_miles_are_missing() {
    let state = fold::<LoyaltyAccount>(&[opened(), awarded(1, 10_000, 0)]);
    assert_eq!(state.next_tier_at(day(1)), Some((Tier::Silver, 15_000)));
    let state = fold::<LoyaltyAccount>(&[opened(), awarded(1, 25_000, 0)]);
    assert_eq!(state.next_tier_at(day(1)), Some((Tier::Gold, 25_000)));
    assert_eq!(state.next_tier_at(day(365)), Some((Tier::Silver, 25_000)));
    let state = fold::<LoyaltyAccount>(&[opened(), awarded(1, 100_000, 0)]);
    assert_eq!(state.next_tier_at(day(1)), None);
}

// ---- accrual ----

#[test]
fn fare_miles_are_floor_of_dollars_times_cabin_bonus_times_tier_multiplier() {
    assert_eq!(
        fare_miles(Money::usd(10_000), Cabin::Economy, Tier::Blue),
        100
    );
    assert_eq!(
        fare_miles(Money::usd(19_999), Cabin::Economy, Tier::Blue),
        199
    );
    assert_eq!(
        fare_miles(Money::usd(19_999), Cabin::Premium, Tier::Blue),
        249
    ); // 249.9875
    assert_eq!(
        fare_miles(Money::usd(10_000), Cabin::Economy, Tier::Silver),
        125
    );
    assert_eq!(
        fare_miles(Money::usd(10_000), Cabin::Business, Tier::Gold),
        225
    );
    assert_eq!(
        fare_miles(Money::usd(10_000), Cabin::First, Tier::Platinum),
        350
    );
    assert_eq!(
        fare_miles(Money::usd(10_000), Cabin::First, Tier::ExecutivePlatinum),
        400
    );
    assert_eq!(
        fare_miles(Money::usd(33_333), Cabin::Premium, Tier::Platinum),
        729
    ); // 729.159375
    assert_eq!(fare_miles(Money::usd(99), Cabin::Economy, Tier::Blue), 0);
    assert_eq!(
        fare_miles(Money::usd(0), Cabin::First, Tier::ExecutivePlatinum),
        0
    );
    assert_eq!(fare_miles(Money::usd(-10_000), Cabin::First, Tier::Blue), 0);
    assert_eq!(
        fare_miles(Money::usd(i64::MAX), Cabin::First, Tier::ExecutivePlatinum),
        368_934_881_474_191_032
    );
}

#[test]
fn every_cabin_earns_its_bonus() {
    for (cabin, miles) in [
        (Cabin::Economy, 100),
        (Cabin::Premium, 125),
        (Cabin::Business, 150),
        (Cabin::First, 200),
    ] {
        given::<LoyaltyAccount>([opened()])
            .when(award(1, fare(10_000, cabin), 3))
            .then([awarded(1, miles, 3)]);
    }
}

#[test]
fn every_tier_earns_its_multiplier_from_exactly_its_threshold() {
    for (tier, miles) in Tier::ALL.into_iter().zip([100, 125, 150, 175, 200]) {
        let mut history = vec![opened()];
        if tier.threshold() > 0 {
            history.push(awarded(1, tier.threshold(), 1));
        }
        given::<LoyaltyAccount>(history)
            .when(award(2, fare(10_000, Cabin::Economy), 2))
            .then([awarded_at_tier(2, miles, 2, tier)]);
    }
}

#[test]
fn one_mile_short_of_a_threshold_earns_at_the_tier_below() {
    given::<LoyaltyAccount>([opened(), awarded(1, 49_999, 1)])
        .when(award(2, fare(10_000, Cabin::First), 2))
        .then([awarded_at_tier(2, 250, 2, Tier::Silver)]);
}

#[test]
fn the_award_that_crosses_a_threshold_earns_at_the_tier_before_it() {
    let state = given::<LoyaltyAccount>([opened(), awarded(1, 24_900, 1)])
        .when(award(2, fare(1_000_000, Cabin::Economy), 2))
        .then([awarded_at_tier(2, 10_000, 2, Tier::Blue)]);
    assert_eq!(state.tier_at(day(2)), Tier::Silver);
}

/// Taxes earn nothing (docs/domain.md): keeping them out of `paid_by_card` is the caller's job, since the
/// account only sees an amount. The booking passes `BookingState::card_fare()`, the fare less the
/// miles that paid part of it, never the total.
#[test]
fn taxes_earn_nothing_because_only_the_fare_paid_by_card_is_passed() {
    let quote_fare = Money::usd(20_000);
    let taxes = crate::pricing::taxes_on(quote_fare).unwrap();
    assert_eq!(taxes, Money::usd(1_500));
    let miles_redeemed = 5_000;
    let paid_by_card = Money::usd(quote_fare.amount - miles_redeemed);
    given::<LoyaltyAccount>([opened()])
        .when(award(
            1,
            Accrual::Fare {
                paid_by_card,
                cabin: Cabin::Economy,
            },
            3,
        ))
        .then([awarded(1, 150, 3)]);
}

// ---- AwardMiles ----

#[test]
fn awarding_miles_creates_a_lot_that_expires_after_365_days() {
    let state = given::<LoyaltyAccount>([opened()])
        .when(award(1, Accrual::Miles(500), 3))
        .then([awarded(1, 500, 3)]);
    assert_eq!(
        state.lots(),
        &[Lot {
            earned_at: day(3),
            expires_at: day(368),
            remaining: 500
        }]
    );
    assert_eq!(
        (
            state.balance(),
            state.awarded_for(booking(1)),
            state.awarded_for(booking(2))
        ),
        (500, Some(500), None)
    );
    assert_eq!(state.totals().earned, 500);
}

#[test]
fn awards_earned_at_the_same_instant_share_a_lot() {
    let state = fold::<LoyaltyAccount>(&[opened(), awarded(1, 300, 3), awarded(2, 200, 3)]);
    assert_eq!(
        state.lots(),
        &[Lot {
            earned_at: day(3),
            expires_at: day(368),
            remaining: 500
        }]
    );
    given::<LoyaltyAccount>([opened(), awarded(1, 300, 3), awarded(2, 200, 3)])
        .when(revoke(1, 4))
        .then([revoked(1, vec![slice(3, 300)], 4)]);
}

#[test]
fn awarding_twice_for_a_booking_is_a_no_op() {
    given::<LoyaltyAccount>([opened(), awarded(1, 500, 3)])
        .when(award(1, Accrual::Miles(500), 4))
        .then_nothing();
    given::<LoyaltyAccount>([opened(), awarded(1, 500, 3)])
        .when(award(1, fare(90_000, Cabin::First), 4))
        .then_nothing();
    // A revoked award stays revoked: a late redelivery does not earn the miles again.
    given::<LoyaltyAccount>([
        opened(),
        awarded(1, 500, 3),
        revoked(1, vec![slice(3, 500)], 4),
    ])
    .when(award(1, Accrual::Miles(500), 5))
    .then_nothing();
}

#[test]
fn awarding_zero_miles_is_a_no_op() {
    given::<LoyaltyAccount>([opened()])
        .when(award(1, Accrual::Miles(0), 3))
        .then_nothing();
    given::<LoyaltyAccount>([opened()])
        .when(award(1, fare(99, Cabin::Economy), 3))
        .then_nothing();
    given::<LoyaltyAccount>([opened()])
        .when(award(1, fare(0, Cabin::First), 3))
        .then_nothing();
}

#[test]
fn award_fails_when_the_account_is_not_open() {
    given::<LoyaltyAccount>([])
        .when(award(1, Accrual::Miles(5), 3))
        .then_err(LoyaltyError::NotOpen);
    assert_eq!(LoyaltyError::NotOpen.code(), "not_found");
}

/// Regression (issue 12, item C): two maximal awards made a balance of
/// 18,446,744,073,709,551,614. An award is bounded, and so is the balance it leads to; past
/// either is a refusal with a stable code, never a wrap or a saturation.
#[test]
fn award_fails_when_the_balance_would_overflow() {
    given::<LoyaltyAccount>([opened(), awarded(1, u64::MAX - 5, 3)])
        .when(award(2, Accrual::Miles(10), 4))
        .then_err(LoyaltyError::BalanceLimitExceeded {
            balance: u64::MAX - 5,
            limit: MAX_BALANCE,
        });
    given::<LoyaltyAccount>([opened(), awarded(1, MAX_BALANCE - 5, 3)])
        .when(award(2, Accrual::Miles(6), 4))
        .then_err(LoyaltyError::BalanceLimitExceeded {
            balance: MAX_BALANCE - 5,
            limit: MAX_BALANCE,
        });
    given::<LoyaltyAccount>([opened(), awarded(1, MAX_BALANCE - 5, 3)])
        .when(award(2, Accrual::Miles(5), 4))
        .outcome()
        .expect("up to the limit is accepted");
    assert_eq!(
        LoyaltyError::BalanceLimitExceeded {
            balance: 0,
            limit: MAX_BALANCE
        }
        .code(),
        "balance_limit_exceeded"
    );
}

#[test]
fn an_award_or_a_redemption_beyond_the_bound_is_invalid() {
    for miles in [MAX_MILES + 1, u64::MAX / 2 + 1, u64::MAX] {
        given::<LoyaltyAccount>([opened()])
            .when(award(1, Accrual::Miles(miles), 3))
            .then_err(LoyaltyError::InvalidMiles);
    }
    given::<LoyaltyAccount>([opened()])
        .when(award(1, Accrual::Miles(MAX_MILES), 3))
        .outcome()
        .expect("the bound itself is accepted");
    given::<LoyaltyAccount>([opened(), awarded(1, MAX_MILES, 3)])
        .when(redeem(2, MAX_MILES + 1, 4))
        .then_err(LoyaltyError::InvalidMiles);
}

#[test]
fn instants_at_the_ends_of_time_do_not_panic() {
    let late = DateTime::<Utc>::MAX_UTC - Duration::days(1);
    let state = given::<LoyaltyAccount>([opened()])
        .when(AwardMiles {
            booking_id: booking(1),
            accrual: Accrual::Miles(5),
            at: late,
        })
        .then([LoyaltyEvent::MilesAwarded {
            booking_id: booking(1),
            miles: 5,
            tier: Tier::Blue,
            earned_at: late,
            expires_at: DateTime::<Utc>::MAX_UTC,
        }]);
    assert_eq!(state.earned_last_365_days(DateTime::<Utc>::MIN_UTC), 0);
    assert_eq!(state.tier_at(DateTime::<Utc>::MAX_UTC), Tier::Blue);
}

// ---- RevokeMiles ----

#[test]
fn revoking_takes_back_what_the_booking_earned_from_its_own_lot() {
    let state = given::<LoyaltyAccount>([opened(), awarded(1, 300, 1), awarded(2, 500, 2)])
        .when(revoke(2, 3))
        .then([revoked(2, vec![slice(2, 500)], 3)]);
    assert_eq!((state.balance(), remaining(&state)), (300, vec![300, 0]));
    assert_eq!(state.award(booking(2)).unwrap().revoked, Some(500));
    assert_eq!(state.awarded_for(booking(2)), Some(500));
    assert_eq!(state.totals().revoked, 500);
}

#[test]
fn revoking_after_the_own_lot_was_partly_spent_takes_the_rest_from_the_oldest_lots() {
    given::<LoyaltyAccount>([
        opened(),
        awarded(1, 300, 1),
        awarded(2, 500, 2),
        awarded(3, 400, 3),
        redeemed(9, vec![slice(1, 200), slice(2, 200)], 4),
    ])
    .when(revoke(2, 5))
    .then([revoked(
        2,
        vec![slice(2, 300), slice(1, 100), slice(3, 100)],
        5,
    )]);
}

#[test]
fn revoking_is_capped_at_the_balance() {
    let state = given::<LoyaltyAccount>([
        opened(),
        awarded(1, 500, 1),
        redeemed(9, vec![slice(1, 400)], 2),
    ])
    .when(revoke(1, 3))
    .then([revoked(1, vec![slice(1, 100)], 3)]);
    assert_eq!(state.balance(), 0);
}

#[test]
fn revoking_from_an_empty_balance_records_zero_so_it_never_takes_later_miles() {
    let mut state = given::<LoyaltyAccount>([
        opened(),
        awarded(1, 500, 1),
        redeemed(9, vec![slice(1, 500)], 2),
    ])
    .when(revoke(1, 3))
    .then([revoked(1, vec![], 3)]);
    state.evolve(&awarded(2, 700, 4));
    assert_eq!(state.decide(&revoke(1, 5).into()), Ok(vec![]));
    assert_eq!(state.balance(), 700);
}

#[test]
fn revoking_takes_miles_past_their_expiry_before_they_are_expired() {
    let state = given::<LoyaltyAccount>([opened(), awarded(1, 300, 0)])
        .when(revoke(1, 400))
        .then([revoked(1, vec![slice(0, 300)], 400)]);
    assert_eq!(state.decide(&expire(400).into()), Ok(vec![]));
}

#[test]
fn revoking_twice_or_without_an_award_is_a_no_op() {
    given::<LoyaltyAccount>([
        opened(),
        awarded(1, 500, 1),
        revoked(1, vec![slice(1, 500)], 2),
    ])
    .when(revoke(1, 3))
    .then_nothing();
    given::<LoyaltyAccount>([opened(), awarded(1, 500, 1)])
        .when(revoke(2, 3))
        .then_nothing();
    // A compensation must be able to run even where nothing happened.
    given::<LoyaltyAccount>([])
        .when(revoke(1, 3))
        .then_nothing();
}

// ---- RedeemMiles ----

#[test]
fn redeeming_consumes_the_oldest_miles_first() {
    let state = given::<LoyaltyAccount>([opened(), awarded(2, 500, 2), awarded(1, 300, 1)])
        .when(redeem(9, 600, 3))
        .then([redeemed(9, vec![slice(1, 300), slice(2, 300)], 3)]);
    assert_eq!((state.balance(), remaining(&state)), (200, vec![0, 200]));
    assert_eq!(
        (
            state.redeemed_for(booking(9)),
            state.redeemed_for(booking(1))
        ),
        (Some(600), None)
    );
    assert_eq!(state.totals().redeemed, 600);
}

#[test]
fn redeeming_the_whole_balance_leaves_zero_and_never_goes_below() {
    let state = given::<LoyaltyAccount>([opened(), awarded(1, 300, 1)])
        .when(redeem(9, 300, 2))
        .then([redeemed(9, vec![slice(1, 300)], 2)]);
    assert_eq!(state.balance(), 0);
    given::<LoyaltyAccount>([
        opened(),
        awarded(1, 300, 1),
        redeemed(9, vec![slice(1, 300)], 2),
    ])
    .when(redeem(10, 1, 3))
    .then_err(LoyaltyError::InsufficientMiles {
        balance: 0,
        requested: 1,
    });
}

#[test]
fn redeem_fails_when_the_balance_is_too_low() {
    given::<LoyaltyAccount>([opened(), awarded(1, 300, 1)])
        .when(redeem(9, 301, 3))
        .then_err(LoyaltyError::InsufficientMiles {
            balance: 300,
            requested: 301,
        });
}

#[test]
fn redeem_fails_for_zero_miles() {
    given::<LoyaltyAccount>([opened(), awarded(1, 300, 1)])
        .when(redeem(9, 0, 3))
        .then_err(LoyaltyError::InvalidMiles);
}

#[test]
fn miles_past_their_expiry_cannot_be_redeemed_even_before_they_are_expired() {
    // Day 365 is exactly when the day-0 lot expires: it is no longer spendable.
    given::<LoyaltyAccount>([opened(), awarded(1, 300, 0), awarded(2, 100, 100)])
        .when(redeem(9, 200, 365))
        .then_err(LoyaltyError::InsufficientMiles {
            balance: 100,
            requested: 200,
        });
    given::<LoyaltyAccount>([opened(), awarded(1, 300, 0), awarded(2, 100, 100)])
        .when(redeem(9, 50, 365))
        .then([redeemed(9, vec![slice(100, 50)], 365)]);
    // A second earlier it still is.
    let just_before = RedeemMiles {
        booking_id: booking(9),
        miles: 350,
        at: day(365) - Duration::seconds(1),
    };
    given::<LoyaltyAccount>([opened(), awarded(1, 300, 0), awarded(2, 100, 100)])
        .when(just_before.clone())
        .then([LoyaltyEvent::MilesRedeemed {
            booking_id: booking(9),
            miles: 350,
            consumed: vec![slice(0, 300), slice(100, 50)],
            redeemed_at: just_before.at,
        }]);
}

#[test]
fn redeeming_again_for_a_booking_is_a_no_op() {
    given::<LoyaltyAccount>([
        opened(),
        awarded(1, 300, 1),
        redeemed(9, vec![slice(1, 200)], 2),
    ])
    .when(redeem(9, 200, 4))
    .then_nothing();
}

#[test]
fn redeem_fails_when_the_booking_already_redeemed_another_amount() {
    given::<LoyaltyAccount>([
        opened(),
        awarded(1, 300, 1),
        redeemed(9, vec![slice(1, 200)], 2),
    ])
    .when(redeem(9, 100, 4))
    .then_err(LoyaltyError::RedemptionMismatch { redeemed: 200 });
}

#[test]
fn a_redemption_given_back_is_not_taken_again() {
    given::<LoyaltyAccount>([
        opened(),
        awarded(1, 300, 1),
        redeemed(9, vec![slice(1, 200)], 2),
        restored(9, vec![slice(1, 200)], 3),
    ])
    .when(redeem(9, 200, 5))
    .then_nothing();
}

#[test]
fn redeem_fails_when_the_account_is_not_open() {
    given::<LoyaltyAccount>([])
        .when(redeem(9, 100, 4))
        .then_err(LoyaltyError::NotOpen);
}

// ---- RestoreMiles ----

#[test]
fn restoring_puts_the_miles_back_into_the_lots_they_came_from() {
    let state = given::<LoyaltyAccount>([
        opened(),
        awarded(1, 300, 1),
        awarded(2, 500, 2),
        redeemed(9, vec![slice(1, 300), slice(2, 300)], 3),
    ])
    .when(restore(9, 4))
    .then([restored(9, vec![slice(1, 300), slice(2, 300)], 4)]);
    assert_eq!(remaining(&state), vec![300, 500]);
    assert!(state.redemption(booking(9)).unwrap().restored);
    assert_eq!(state.redeemed_for(booking(9)), Some(600));
    assert_eq!(
        (state.totals().redeemed, state.totals().restored),
        (600, 600)
    );
}

#[test]
fn restoring_twice_or_without_a_redemption_is_a_no_op() {
    given::<LoyaltyAccount>([
        opened(),
        awarded(1, 300, 1),
        redeemed(9, vec![slice(1, 200)], 2),
        restored(9, vec![slice(1, 200)], 3),
    ])
    .when(restore(9, 4))
    .then_nothing();
    given::<LoyaltyAccount>([opened()])
        .when(restore(9, 4))
        .then_nothing();
    given::<LoyaltyAccount>([])
        .when(restore(9, 4))
        .then_nothing();
}

#[test]
fn restored_miles_keep_their_original_expiry() {
    let state = given::<LoyaltyAccount>([
        opened(),
        awarded(1, 300, 0),
        redeemed(9, vec![slice(0, 300)], 1),
        restored(9, vec![slice(0, 300)], 2),
    ])
    .when(expire(365))
    .then([expired(vec![slice(0, 300)], 365)]);
    assert_eq!(state.balance(), 0);
}

#[test]
fn restoring_after_the_lot_partly_expired_brings_back_miles_that_are_due_to_expire_again() {
    // 100 of the day-0 lot were redeemed, the other 200 expired; then the booking was cancelled.
    let history = [
        opened(),
        awarded(1, 300, 0),
        awarded(2, 500, 100),
        redeemed(9, vec![slice(0, 100)], 10),
        expired(vec![slice(0, 200)], 365),
    ];
    let state = given::<LoyaltyAccount>(history.clone())
        .when(restore(9, 366))
        .then([restored(9, vec![slice(0, 100)], 366)]);
    // Back in the ledger, but past their expiry: not spendable, and expired at the next run.
    assert_eq!((state.balance(), state.available_at(day(366))), (600, 500));
    let history: Vec<_> = history
        .into_iter()
        .chain([restored(9, vec![slice(0, 100)], 366)])
        .collect();
    given::<LoyaltyAccount>(history.clone())
        .when(redeem(10, 501, 366))
        .then_err(LoyaltyError::InsufficientMiles {
            balance: 500,
            requested: 501,
        });
    let state = given::<LoyaltyAccount>(history)
        .when(expire(366))
        .then([expired(vec![slice(0, 100)], 366)]);
    let t = state.totals();
    assert_eq!(
        (state.balance(), t.earned, t.redeemed, t.restored, t.expired),
        (500, 800, 100, 100, 300)
    );
}

// ---- ExpireMiles ----

#[test]
fn expiring_removes_what_is_left_in_lots_past_their_expiry_oldest_first() {
    let state = given::<LoyaltyAccount>([
        opened(),
        awarded(3, 500, 20),
        awarded(2, 400, 10),
        awarded(1, 300, 0),
        redeemed(9, vec![slice(0, 100)], 5),
    ])
    .when(expire(375))
    .then([expired(vec![slice(0, 200), slice(10, 400)], 375)]);
    assert_eq!((state.balance(), remaining(&state)), (500, vec![0, 0, 500]));
    assert_eq!(state.totals().expired, 600);
}

#[test]
fn miles_expire_exactly_365_days_after_they_were_earned() {
    given::<LoyaltyAccount>([opened(), awarded(1, 300, 0)])
        .when(ExpireMiles {
            at: day(365) - Duration::seconds(1),
        })
        .then_nothing();
    given::<LoyaltyAccount>([opened(), awarded(1, 300, 0)])
        .when(expire(365))
        .then([expired(vec![slice(0, 300)], 365)]);
}

#[test]
fn expiring_with_nothing_due_is_a_no_op() {
    given::<LoyaltyAccount>([opened()])
        .when(expire(400))
        .then_nothing();
    given::<LoyaltyAccount>([opened(), awarded(1, 300, 0)])
        .when(expire(364))
        .then_nothing();
    given::<LoyaltyAccount>([
        opened(),
        awarded(1, 300, 0),
        redeemed(9, vec![slice(0, 300)], 1),
    ])
    .when(expire(400))
    .then_nothing();
    given::<LoyaltyAccount>([
        opened(),
        awarded(1, 300, 0),
        expired(vec![slice(0, 300)], 365),
    ])
    .when(expire(400))
    .then_nothing();
}

#[test]
fn expire_fails_when_the_account_is_not_open() {
    given::<LoyaltyAccount>([])
        .when(expire(400))
        .then_err(LoyaltyError::NotOpen);
}

// ---- read API, errors, serde ----

#[test]
fn totals_account_for_every_movement() {
    let state = fold::<LoyaltyAccount>(&[
        opened(),
        awarded(1, 1_000, 0),
        awarded(2, 500, 10),
        redeemed(9, vec![slice(0, 400)], 20),
        revoked(2, vec![slice(10, 500)], 30),
        restored(9, vec![slice(0, 400)], 40),
        expired(vec![slice(0, 1_000)], 365),
    ]);
    assert_eq!(
        state.totals(),
        MileTotals {
            earned: 1_500,
            revoked: 500,
            redeemed: 400,
            restored: 400,
            expired: 1_000
        }
    );
    assert_eq!(state.balance(), 0);
}

#[test]
fn every_error_has_a_stable_code_and_names_its_field_when_it_is_about_one() {
    let cases = [
        (LoyaltyError::AlreadyOpen, "already_open", None),
        (LoyaltyError::NotOpen, "not_found", None),
        (LoyaltyError::InvalidMiles, "invalid_miles", Some("miles")),
        (
            LoyaltyError::InsufficientMiles {
                balance: 1,
                requested: 2,
            },
            "insufficient_miles",
            Some("miles"),
        ),
        (
            LoyaltyError::RedemptionMismatch { redeemed: 1 },
            "redemption_mismatch",
            None,
        ),
    ];
    for (error, code, field) in cases {
        assert_eq!((error.code(), error.field()), (code, field), "{error:?}");
    }
}

#[test]
fn loyalty_events_round_trip_through_the_store() {
    let events = [
        opened(),
        awarded_at_tier(1, 500, 3, Tier::ExecutivePlatinum),
        revoked(1, vec![slice(3, 500)], 4),
        revoked(1, vec![], 4),
        redeemed(9, vec![slice(1, 1), slice(2, 2)], 5),
        restored(9, vec![slice(1, 1), slice(2, 2)], 6),
        expired(vec![slice(1, 3)], 366),
    ];
    for event in &events {
        assert_round_trips(event);
    }
    let names: Vec<_> = events
        .iter()
        .map(crate::aggregate::DomainEvent::event_type)
        .collect();
    assert_eq!(
        names,
        [
            "LoyaltyAccountOpened",
            "MilesAwarded",
            "MilesRevoked",
            "MilesRevoked",
            "MilesRedeemed",
            "MilesRestored",
            "MilesExpired"
        ]
    );
    let json = serde_json::to_value(&events[1]).unwrap();
    assert_eq!(json["payload"]["tier"], "executive_platinum");
    let json = serde_json::to_value(&events[6]).unwrap();
    assert_eq!(json["payload"]["lots"][0]["miles"], 3);
    assert_eq!(json["payload"]["expired_at"], serde_json::json!(day(366)));
    let accrual = serde_json::to_value(fare(100, Cabin::First)).unwrap();
    assert_eq!(
        accrual,
        serde_json::json!({ "fare": { "paid_by_card": { "amount": 100, "currency": "USD" }, "cabin": "first" } })
    );
    assert_eq!(
        serde_json::to_value(Accrual::Miles(5)).unwrap(),
        serde_json::json!({ "miles": 5 })
    );
}

// ---- the invariant ----

#[test]
fn the_balance_is_always_earned_minus_revoked_minus_redeemed_plus_restored_minus_expired() {
    let cabins = Cabin::ALL;
    let (mut accepted, mut refused, mut expiries, mut revocations, mut restores) = (0, 0, 0, 0, 0);
    for seed in 1..=3_u64 {
        let mut rng = Rng(0x1077_a17e_5eed_0000 + seed);
        let mut state = fold::<LoyaltyAccount>(&[opened()]);
        for step in 0..4_000_i64 {
            // About three years, so that lots expire and tiers come and go.
            let at = day(step / 5) + Duration::minutes(step % 5);
            let b = u128::from(rng.below(30)) + (step / 4) as u128;
            let command: LoyaltyCommand = match rng.below(16) {
                0..=5 => award(0, Accrual::Miles(rng.below(20_000)), 0).into(),
                6 | 7 => award(
                    0,
                    fare(rng.below(3_000_000) as i64, cabins[rng.below(4) as usize]),
                    0,
                )
                .into(),
                8 | 9 => revoke(0, 0).into(),
                10 | 11 => redeem(0, rng.below(15_000), 0).into(),
                12 | 13 => restore(0, 0).into(),
                _ => ExpireMiles { at }.into(),
            };
            // The same booking ids and instant for every kind of command.
            let command = match command {
                LoyaltyCommand::AwardMiles(c) => AwardMiles {
                    booking_id: booking(b),
                    at,
                    ..c
                }
                .into(),
                LoyaltyCommand::RevokeMiles(_) => RevokeMiles {
                    booking_id: booking(b),
                    at,
                }
                .into(),
                LoyaltyCommand::RedeemMiles(c) => RedeemMiles {
                    booking_id: booking(b),
                    at,
                    ..c
                }
                .into(),
                LoyaltyCommand::RestoreMiles(_) => RestoreMiles {
                    booking_id: booking(b),
                    at,
                }
                .into(),
                other => other,
            };
            let balance_before = state.balance();
            let available_before = state.available_at(at);
            match state.decide(&command) {
                Ok(events) => {
                    accepted += 1;
                    for event in &events {
                        match event {
                            LoyaltyEvent::MilesExpired { lots, .. } => {
                                expiries += 1;
                                assert!(
                                    lots.iter().all(|l| l.expires_at <= at),
                                    "unexpired lot expired: {event:?}"
                                );
                            }
                            LoyaltyEvent::MilesRedeemed {
                                miles, consumed, ..
                            } => {
                                assert!(
                                    consumed.iter().all(|l| l.expires_at > at),
                                    "expired lot spent: {event:?}"
                                );
                                assert!(*miles <= available_before, "{event:?}");
                                assert_eq!(total(consumed), *miles);
                            }
                            LoyaltyEvent::MilesRevoked {
                                booking_id,
                                miles,
                                consumed,
                                ..
                            } => {
                                revocations += 1;
                                assert!(*miles <= balance_before, "revoked below zero: {event:?}");
                                assert!(
                                    Some(*miles) <= state.awarded_for(*booking_id),
                                    "{event:?}"
                                );
                                assert_eq!(total(consumed), *miles);
                            }
                            LoyaltyEvent::MilesRestored { .. } => restores += 1,
                            _ => {}
                        }
                        state.evolve(event);
                    }
                    assert_eq!(
                        state.decide(&command),
                        Ok(vec![]),
                        "{command:?} is not idempotent"
                    );
                }
                Err(error) => {
                    refused += 1;
                    if let LoyaltyError::InsufficientMiles { balance, requested } = error {
                        assert!(requested > balance && balance == available_before);
                    }
                }
            }
            let t = state.totals();
            assert_eq!(
                state.balance() + t.revoked + t.redeemed + t.expired,
                t.earned + t.restored,
                "ledger broken after step {step}: {command:?}"
            );
            assert!(state.available_at(at) <= state.balance());
            if step % 7 != 0 {
                continue; // the tier checks below are the slow ones
            }
            // Read models keep the folded account as a JSON document: it must come back identical.
            let doc = serde_json::to_value(&state).unwrap();
            assert_eq!(
                serde_json::from_value::<LoyaltyAccount>(doc).unwrap(),
                state,
                "the account does not survive its document after step {step}"
            );
            let earned = state.earned_last_365_days(at);
            assert!(earned <= t.earned);
            assert_eq!(state.tier_at(at), Tier::for_miles(earned));
            if let Some((next, needed)) = state.next_tier_at(at) {
                assert_eq!(
                    (Some(next), earned + needed),
                    (state.tier_at(at).next(), next.threshold())
                );
            }
        }
    }
    assert!(
        accepted > 10_000 && refused > 200 && expiries > 200 && revocations > 400 && restores > 150,
        "accepted {accepted}, refused {refused}, expiries {expiries}, revocations {revocations}, restores {restores}"
    );
}
