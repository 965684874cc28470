//! Given/when/then tests of the loyalty account.

use super::*;
use crate::aggregate::Aggregate;
use crate::cabin::Cabin;
use crate::ids::{BookingId, LoyaltyAccountId, UserId};
use crate::money::Money;
use crate::testing::{assert_round_trips, given};
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

fn slice(d: i64, miles: u64) -> LotSlice {
    LotSlice {
        earned_at: day(d),
        expires_at: day(d + 365),
        miles,
    }
}

fn redeemed(b: u128, slices: Vec<LotSlice>) -> LoyaltyEvent {
    LoyaltyEvent::MilesRedeemed {
        booking_id: booking(b),
        miles: slices.iter().map(|s| s.miles).sum(),
        consumed: slices,
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

fn redeem(b: u128, miles: u64, d: i64) -> RedeemMiles {
    RedeemMiles {
        booking_id: booking(b),
        miles,
        at: day(d),
    }
}

// ---- OpenAccount ----

#[test]
fn opening_an_account_records_its_owner() {
    let cmd = OpenAccount {
        account_id: LoyaltyAccountId::for_user(owner()),
        owner: owner(),
        at: day(0),
    };
    let state = given::<LoyaltyAccount>([]).when(cmd).then([opened()]);
    assert_eq!(state.account().unwrap().owner, owner());
    assert_eq!((state.balance(), state.tier_at(day(0))), (0, Tier::Blue));
}

#[test]
fn open_fails_when_the_account_is_already_open() {
    let cmd = OpenAccount {
        account_id: LoyaltyAccountId::for_user(owner()),
        owner: owner(),
        at: day(1),
    };
    given::<LoyaltyAccount>([opened()])
        .when(cmd)
        .then_err(LoyaltyError::AlreadyOpen);
}

// ---- tiers and accrual ----

#[test]
fn tiers_follow_the_thresholds() {
    assert_eq!(Tier::for_miles(0), Tier::Blue);
    assert_eq!(Tier::for_miles(24_999), Tier::Blue);
    assert_eq!(Tier::for_miles(25_000), Tier::Silver);
    assert_eq!(Tier::for_miles(50_000), Tier::Gold);
    assert_eq!(Tier::for_miles(99_999), Tier::Platinum);
    assert_eq!(Tier::for_miles(100_000), Tier::ExecutivePlatinum);
    assert_eq!(Tier::for_miles(u64::MAX), Tier::ExecutivePlatinum);
    assert_eq!(Tier::Gold.next(), Some(Tier::Platinum));
    assert_eq!(Tier::ExecutivePlatinum.next(), None);
    assert_eq!(
        Tier::ALL.map(Tier::multiplier_percent),
        [100, 125, 150, 175, 200]
    );
    assert_eq!(
        serde_json::to_value(Tier::ExecutivePlatinum).unwrap(),
        "executive_platinum"
    );
}

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
    assert_eq!(fare_miles(Money::usd(99), Cabin::Economy, Tier::Blue), 0);
    assert_eq!(fare_miles(Money::usd(-10_000), Cabin::First, Tier::Blue), 0);
    assert_eq!(
        fare_miles(Money::usd(i64::MAX), Cabin::First, Tier::ExecutivePlatinum),
        368_934_881_474_191_032
    );
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
    assert_eq!(state.balance(), 500);
}

#[test]
fn awarding_on_a_fare_uses_the_cabin_bonus() {
    given::<LoyaltyAccount>([opened()])
        .when(award(1, fare(42_000, Cabin::Business), 3))
        .then([awarded(1, 630, 3)]);
}

#[test]
fn a_silver_member_earns_a_quarter_more() {
    given::<LoyaltyAccount>([opened(), awarded(1, 25_000, 1)])
        .when(award(2, fare(10_000, Cabin::Economy), 2))
        .then([awarded_at_tier(2, 125, 2, Tier::Silver)]);
}

#[test]
fn the_tier_counts_only_miles_earned_in_the_last_365_days() {
    let state = crate::aggregate::fold::<LoyaltyAccount>(&[
        opened(),
        awarded(1, 30_000, 0),
        awarded(2, 30_000, 200),
    ]);
    assert_eq!(state.earned_last_365_days(day(300)), 60_000);
    assert_eq!(state.tier_at(day(300)), Tier::Gold);
    assert_eq!(state.tier_at(day(364)), Tier::Gold);
    assert_eq!(state.tier_at(day(365)), Tier::Silver);
    assert_eq!(state.tier_at(day(565)), Tier::Blue);
    // Nor miles earned after the instant asked about.
    assert_eq!(state.earned_last_365_days(day(100)), 30_000);
    given::<LoyaltyAccount>([opened(), awarded(1, 30_000, 0), awarded(2, 30_000, 200)])
        .when(award(3, fare(10_000, Cabin::Economy), 365))
        .then([awarded_at_tier(3, 125, 365, Tier::Silver)]);
}

#[test]
fn revoked_awards_do_not_count_toward_the_tier() {
    let state = crate::aggregate::fold::<LoyaltyAccount>(&[
        opened(),
        awarded(1, 30_000, 0),
        LoyaltyEvent::MilesRevoked {
            booking_id: booking(1),
            miles: 30_000,
            consumed: vec![slice(0, 30_000)],
        },
    ]);
    assert_eq!(state.tier_at(day(1)), Tier::Blue);
}

#[test]
fn awarding_twice_for_a_booking_is_a_no_op() {
    given::<LoyaltyAccount>([opened(), awarded(1, 500, 3)])
        .when(award(1, Accrual::Miles(500), 4))
        .then_nothing();
    let revoked = LoyaltyEvent::MilesRevoked {
        booking_id: booking(1),
        miles: 500,
        consumed: vec![slice(3, 500)],
    };
    given::<LoyaltyAccount>([opened(), awarded(1, 500, 3), revoked])
        .when(award(1, Accrual::Miles(500), 4))
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
}

#[test]
fn award_fails_when_the_account_is_not_open() {
    given::<LoyaltyAccount>([])
        .when(award(1, Accrual::Miles(5), 3))
        .then_err(LoyaltyError::NotOpen);
}

// ---- RevokeMiles ----

#[test]
fn revoking_takes_back_what_the_booking_earned_from_the_oldest_lots() {
    let state = given::<LoyaltyAccount>([opened(), awarded(1, 300, 1), awarded(2, 500, 2)])
        .when(RevokeMiles {
            booking_id: booking(2),
            at: day(3),
        })
        .then([LoyaltyEvent::MilesRevoked {
            booking_id: booking(2),
            miles: 500,
            consumed: vec![slice(1, 300), slice(2, 200)],
        }]);
    assert_eq!(state.balance(), 300);
    assert_eq!(state.award(booking(2)).unwrap().revoked, Some(500));
}

#[test]
fn revoking_is_capped_at_the_balance() {
    given::<LoyaltyAccount>([
        opened(),
        awarded(1, 500, 1),
        redeemed(9, vec![slice(1, 400)]),
    ])
    .when(RevokeMiles {
        booking_id: booking(1),
        at: day(3),
    })
    .then([LoyaltyEvent::MilesRevoked {
        booking_id: booking(1),
        miles: 100,
        consumed: vec![slice(1, 100)],
    }]);
}

#[test]
fn revoking_from_an_empty_balance_records_zero_so_it_never_takes_later_miles() {
    let state = given::<LoyaltyAccount>([
        opened(),
        awarded(1, 500, 1),
        redeemed(9, vec![slice(1, 500)]),
    ])
    .when(RevokeMiles {
        booking_id: booking(1),
        at: day(3),
    })
    .then([LoyaltyEvent::MilesRevoked {
        booking_id: booking(1),
        miles: 0,
        consumed: vec![],
    }]);
    let mut state = state;
    state.evolve(&awarded(2, 700, 4));
    assert_eq!(
        state.decide(
            &RevokeMiles {
                booking_id: booking(1),
                at: day(5)
            }
            .into()
        ),
        Ok(vec![])
    );
}

#[test]
fn revoking_twice_or_without_an_award_is_a_no_op() {
    let revoked = LoyaltyEvent::MilesRevoked {
        booking_id: booking(1),
        miles: 500,
        consumed: vec![slice(1, 500)],
    };
    given::<LoyaltyAccount>([opened(), awarded(1, 500, 1), revoked])
        .when(RevokeMiles {
            booking_id: booking(1),
            at: day(3),
        })
        .then_nothing();
    given::<LoyaltyAccount>([opened()])
        .when(RevokeMiles {
            booking_id: booking(1),
            at: day(3),
        })
        .then_nothing();
    given::<LoyaltyAccount>([])
        .when(RevokeMiles {
            booking_id: booking(1),
            at: day(3),
        })
        .then_nothing();
}

// ---- RedeemMiles ----

#[test]
fn redeeming_consumes_the_oldest_miles_first() {
    let state = given::<LoyaltyAccount>([opened(), awarded(2, 500, 2), awarded(1, 300, 1)])
        .when(redeem(9, 600, 3))
        .then([redeemed(9, vec![slice(1, 300), slice(2, 300)])]);
    assert_eq!(state.balance(), 200);
    assert_eq!(state.lots()[1].remaining, 200);
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
fn miles_past_their_expiry_cannot_be_redeemed() {
    given::<LoyaltyAccount>([opened(), awarded(1, 300, 0), awarded(2, 100, 100)])
        .when(redeem(9, 200, 365))
        .then_err(LoyaltyError::InsufficientMiles {
            balance: 100,
            requested: 200,
        });
    given::<LoyaltyAccount>([opened(), awarded(1, 300, 0), awarded(2, 100, 100)])
        .when(redeem(9, 50, 365))
        .then([redeemed(9, vec![slice(100, 50)])]);
}

#[test]
fn redeeming_again_for_a_booking_is_a_no_op() {
    given::<LoyaltyAccount>([
        opened(),
        awarded(1, 300, 1),
        redeemed(9, vec![slice(1, 200)]),
    ])
    .when(redeem(9, 200, 4))
    .then_nothing();
}

#[test]
fn redeem_fails_when_the_booking_already_redeemed_another_amount() {
    given::<LoyaltyAccount>([
        opened(),
        awarded(1, 300, 1),
        redeemed(9, vec![slice(1, 200)]),
    ])
    .when(redeem(9, 100, 4))
    .then_err(LoyaltyError::RedemptionMismatch { redeemed: 200 });
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
        redeemed(9, vec![slice(1, 300), slice(2, 300)]),
    ])
    .when(RestoreMiles {
        booking_id: booking(9),
        at: day(4),
    })
    .then([LoyaltyEvent::MilesRestored {
        booking_id: booking(9),
        miles: 600,
        lots: vec![slice(1, 300), slice(2, 300)],
    }]);
    assert_eq!(
        state.lots().iter().map(|l| l.remaining).collect::<Vec<_>>(),
        vec![300, 500]
    );
    assert!(state.redemption(booking(9)).unwrap().restored);
}

#[test]
fn restoring_twice_or_without_a_redemption_is_a_no_op() {
    let restored = LoyaltyEvent::MilesRestored {
        booking_id: booking(9),
        miles: 200,
        lots: vec![slice(1, 200)],
    };
    given::<LoyaltyAccount>([
        opened(),
        awarded(1, 300, 1),
        redeemed(9, vec![slice(1, 200)]),
        restored,
    ])
    .when(RestoreMiles {
        booking_id: booking(9),
        at: day(4),
    })
    .then_nothing();
    given::<LoyaltyAccount>([opened()])
        .when(RestoreMiles {
            booking_id: booking(9),
            at: day(4),
        })
        .then_nothing();
    given::<LoyaltyAccount>([])
        .when(RestoreMiles {
            booking_id: booking(9),
            at: day(4),
        })
        .then_nothing();
}

#[test]
fn a_redemption_given_back_cannot_be_taken_again() {
    let restored = LoyaltyEvent::MilesRestored {
        booking_id: booking(9),
        miles: 200,
        lots: vec![slice(1, 200)],
    };
    given::<LoyaltyAccount>([
        opened(),
        awarded(1, 300, 1),
        redeemed(9, vec![slice(1, 200)]),
        restored,
    ])
    .when(redeem(9, 200, 5))
    .then_nothing();
}

#[test]
fn restored_miles_keep_their_original_expiry() {
    let state = given::<LoyaltyAccount>([
        opened(),
        awarded(1, 300, 0),
        redeemed(9, vec![slice(0, 300)]),
        LoyaltyEvent::MilesRestored {
            booking_id: booking(9),
            miles: 300,
            lots: vec![slice(0, 300)],
        },
    ])
    .when(ExpireMiles { at: day(365) })
    .then([LoyaltyEvent::MilesExpired {
        miles: 300,
        lots: vec![slice(0, 300)],
        at: day(365),
    }]);
    assert_eq!(state.balance(), 0);
}

// ---- ExpireMiles ----

#[test]
fn expiring_removes_what_is_left_in_lots_past_their_expiry() {
    let state = given::<LoyaltyAccount>([
        opened(),
        awarded(1, 300, 0),
        awarded(2, 400, 10),
        awarded(3, 500, 20),
        redeemed(9, vec![slice(0, 100)]),
    ])
    .when(ExpireMiles { at: day(375) })
    .then([LoyaltyEvent::MilesExpired {
        miles: 600,
        lots: vec![slice(0, 200), slice(10, 400)],
        at: day(375),
    }]);
    assert_eq!(state.balance(), 500);
    assert_eq!(state.totals().expired, 600);
}

#[test]
fn expiring_with_nothing_due_is_a_no_op() {
    given::<LoyaltyAccount>([opened(), awarded(1, 300, 0)])
        .when(ExpireMiles { at: day(364) })
        .then_nothing();
    given::<LoyaltyAccount>([
        opened(),
        awarded(1, 300, 0),
        redeemed(9, vec![slice(0, 300)]),
    ])
    .when(ExpireMiles { at: day(400) })
    .then_nothing();
}

#[test]
fn expire_fails_when_the_account_is_not_open() {
    given::<LoyaltyAccount>([])
        .when(ExpireMiles { at: day(400) })
        .then_err(LoyaltyError::NotOpen);
}

// ---- errors, serde ----

#[test]
fn errors_have_stable_codes_and_name_their_field() {
    assert_eq!(
        LoyaltyError::InsufficientMiles {
            balance: 1,
            requested: 2
        }
        .code(),
        "insufficient_miles"
    );
    assert_eq!(LoyaltyError::InvalidMiles.field(), Some("miles"));
    assert_eq!(LoyaltyError::NotOpen.code(), "not_found");
    assert_eq!(LoyaltyError::AlreadyOpen.field(), None);
}

#[test]
fn loyalty_events_round_trip_through_the_store() {
    for event in [
        opened(),
        awarded_at_tier(1, 500, 3, Tier::ExecutivePlatinum),
        LoyaltyEvent::MilesRevoked {
            booking_id: booking(1),
            miles: 500,
            consumed: vec![slice(3, 500)],
        },
        redeemed(9, vec![slice(1, 1), slice(2, 2)]),
        LoyaltyEvent::MilesRestored {
            booking_id: booking(9),
            miles: 3,
            lots: vec![slice(1, 1), slice(2, 2)],
        },
        LoyaltyEvent::MilesExpired {
            miles: 3,
            lots: vec![slice(1, 3)],
            at: day(366),
        },
    ] {
        assert_round_trips(&event);
    }
    let accrual = serde_json::to_value(fare(100, Cabin::First)).unwrap();
    assert_eq!(accrual["fare"]["cabin"], "first");
}

// ---- the invariant ----

/// xorshift64*: a tiny deterministic generator, so the sequence is the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn the_balance_is_always_earned_minus_revoked_minus_redeemed_plus_restored_minus_expired() {
    let mut rng = Rng(0x1077_a17e_5eed_0001);
    let mut state = crate::aggregate::fold::<LoyaltyAccount>(&[opened()]);
    let cabins = [
        Cabin::Economy,
        Cabin::Premium,
        Cabin::Business,
        Cabin::First,
    ];
    let (mut accepted, mut refused, mut expiries) = (0, 0, 0);
    for step in 0..6_000_i64 {
        // About three years, so that lots expire and tiers come and go.
        let at = day(step / 5) + Duration::minutes(step % 5);
        let b = u128::from(rng.below(30)) + (step / 4) as u128;
        let command: LoyaltyCommand = match rng.below(16) {
            0..=5 => AwardMiles {
                booking_id: booking(b),
                accrual: Accrual::Miles(rng.below(20_000)),
                at,
            }
            .into(),
            6 | 7 => {
                let accrual = fare(rng.below(3_000_000) as i64, cabins[rng.below(4) as usize]);
                AwardMiles {
                    booking_id: booking(b),
                    accrual,
                    at,
                }
                .into()
            }
            8 => RevokeMiles {
                booking_id: booking(b),
                at,
            }
            .into(),
            9 | 10 => RedeemMiles {
                booking_id: booking(b),
                miles: rng.below(15_000),
                at,
            }
            .into(),
            11 => RestoreMiles {
                booking_id: booking(b),
                at,
            }
            .into(),
            _ => ExpireMiles { at }.into(),
        };
        match state.decide(&command) {
            Ok(events) => {
                accepted += 1;
                for event in &events {
                    if matches!(event, LoyaltyEvent::MilesExpired { .. }) {
                        expiries += 1;
                    }
                    state.evolve(event);
                }
                assert_eq!(
                    state.decide(&command),
                    Ok(vec![]),
                    "{command:?} is not idempotent"
                );
            }
            Err(_) => refused += 1,
        }
        let t = state.totals();
        assert_eq!(
            state.balance() + t.revoked + t.redeemed + t.expired,
            t.earned + t.restored,
            "ledger broken after step {step}: {command:?}"
        );
        assert!(state.available_at(at) <= state.balance());
    }
    assert!(
        accepted > 2_000 && refused > 100 && expiries > 20,
        "accepted {accepted}, refused {refused}, expiries {expiries}"
    );
}
