//! A property over thousands of generated runs: whatever the steps, compensations, clocks and
//! staff do, a saga ends in exactly one terminal state or waits, visibly parked; it never undoes a
//! step that did not complete, and a redelivered record never takes effect twice.

use super::*;

use crate::testing::Rng;

/// Executes `cmd`; sometimes delivers it a second time, which must change nothing.
fn record(sim: &mut Sim, rng: &mut Rng, cmd: impl Into<SagaCommand>) {
    let cmd = cmd.into();
    sim.exec(cmd.clone());
    if rng.chance(20) {
        let again = sim.exec(cmd.clone());
        assert!(
            again.is_empty(),
            "{cmd:?} redelivered took effect: {again:?}"
        );
    }
}

/// The compensation about to run undoes a step that completed.
#[track_caller]
fn assert_undoes_a_completed_step(sim: &Sim, compensation: Compensation) {
    let s = sim.saga.state().unwrap();
    assert!(
        s.succeeded(compensation.undoes()),
        "{compensation} undoes {}, which never completed",
        compensation.undoes()
    );
    if compensation == Compensation::VoidPayment {
        assert!(
            !s.succeeded(ForwardStep::CapturePayment),
            "a captured payment is refunded, not voided"
        );
    }
}

fn forward(sim: &mut Sim, rng: &mut Rng, step: ForwardStep, attempt: u32) {
    record(
        sim,
        rng,
        RecordStepStarted {
            step,
            attempt,
            at: sim.now,
        },
    );
    let deadline = sim.saga.deadline().unwrap();
    if rng.chance(10) {
        // A timer firing early is refused.
        assert_eq!(
            sim.try_exec(RecordTimeout {
                at: deadline - Duration::seconds(1)
            }),
            Err(SagaError::DeadlineNotReached { deadline })
        );
    }
    let roll = rng.below(100);
    if roll < 10 {
        // No answer: the process manager (perhaps after a restart) sees the deadline pass.
        sim.now = deadline + Duration::seconds(i64::try_from(rng.below(5)).unwrap());
        assert_eq!(
            sim.next(),
            Some(SagaAction::TimeOut { step, attempt }),
            "a passed deadline is acted on"
        );
        record(sim, rng, RecordTimeout { at: sim.now });
        return;
    }
    sim.tick(i64::try_from(rng.below(20)).unwrap());
    if roll < 72 {
        record(
            sim,
            rng,
            RecordStepSucceeded {
                step,
                attempt,
                at: sim.now,
            },
        );
        return;
    }
    let (reason, retryable) = if roll < 86 {
        ("processing_error", true)
    } else if step == ForwardStep::ReserveSeats && rng.chance(50) {
        (SEATS_UNAVAILABLE, false)
    } else {
        ("refused", false)
    };
    record(
        sim,
        rng,
        RecordStepFailed {
            step,
            attempt,
            reason: reason.into(),
            retryable,
            at: sim.now,
        },
    );
}

fn undo_outcome(rng: &mut Rng) -> Option<&'static str> {
    (!rng.chance(65)).then_some("unavailable")
}

/// Runs one generated saga to the end (or until it waits for staff who stopped coming).
fn run_one(seed: u64) -> Sim {
    let mut rng = Rng::new(seed);
    let miles = if rng.chance(50) { 0 } else { 700 };
    let mut sim = Sim::start(miles);
    let mut staff_retries = 0;
    let mut cancellation_asked = false;
    for _ in 0..5_000 {
        let Some(action) = sim.next() else {
            match sim.status() {
                SagaStatus::Parked if staff_retries < 2 && rng.chance(70) => {
                    staff_retries += 1;
                    sim.tick(3_600);
                    let now = sim.now;
                    sim.exec(RetryParked { at: now });
                    // Everything was un-parked: a second click has nothing to retry.
                    assert_eq!(
                        sim.try_exec(RetryParked { at: now }),
                        Err(SagaError::NothingParked)
                    );
                    continue;
                }
                SagaStatus::Confirmed if !cancellation_asked && rng.chance(60) => {
                    cancellation_asked = true;
                    let paid = sim.saga.state().unwrap().card_amount.amount;
                    let now = sim.now;
                    let refund = match rng.below(3) {
                        0 => 0,
                        1 => paid,
                        _ => paid / 2,
                    };
                    record(
                        &mut sim,
                        &mut rng,
                        StartCancellation {
                            refund: Money::usd(refund),
                            requested_by: customer(),
                            at: now,
                        },
                    );
                    continue;
                }
                _ => return sim,
            }
        };
        match action {
            SagaAction::Run { step, attempt } => forward(&mut sim, &mut rng, step, attempt),
            SagaAction::TimeOut { .. } => {
                let now = sim.now;
                record(&mut sim, &mut rng, RecordTimeout { at: now });
            }
            SagaAction::Compensate {
                compensation,
                attempt,
            } => {
                assert_undoes_a_completed_step(&sim, compensation);
                sim.tick(1);
                let now = sim.now;
                match undo_outcome(&mut rng) {
                    Some(reason) => record(
                        &mut sim,
                        &mut rng,
                        RecordCompensationFailed {
                            compensation,
                            attempt,
                            reason: reason.into(),
                            at: now,
                        },
                    ),
                    None => record(
                        &mut sim,
                        &mut rng,
                        RecordCompensationSucceeded {
                            compensation,
                            attempt,
                            at: now,
                        },
                    ),
                }
            }
            SagaAction::Cancel { step, attempt } => {
                sim.tick(1);
                let now = sim.now;
                match undo_outcome(&mut rng) {
                    Some(reason) => record(
                        &mut sim,
                        &mut rng,
                        RecordCancellationStepFailed {
                            step,
                            attempt,
                            reason: reason.into(),
                            at: now,
                        },
                    ),
                    None => record(
                        &mut sim,
                        &mut rng,
                        RecordCancellationStepSucceeded {
                            step,
                            attempt,
                            at: now,
                        },
                    ),
                }
            }
            SagaAction::Finish(_) => {
                let now = sim.now;
                record(&mut sim, &mut rng, EndSaga { at: now });
            }
            SagaAction::WaitUntil(t) => {
                assert!(t > sim.now, "a wait is always for later");
                sim.now = t;
            }
        }
    }
    panic!("seed {seed}: the saga never settled");
}

#[test]
fn any_sequence_of_outcomes_ends_in_one_terminal_state_or_visibly_parked() {
    let mut seen = std::collections::BTreeSet::new();
    for seed in 1..=3_000 {
        let sim = run_one(seed);
        let status = sim.status();
        // Read models keep the folded saga as a JSON document: it must come back identical.
        let doc = serde_json::to_value(&sim.saga).unwrap();
        assert_eq!(
            serde_json::from_value::<BookingSaga>(doc).unwrap(),
            sim.saga,
            "seed {seed}: the saga does not survive its document"
        );
        seen.insert(status.as_str());
        let parked = sim.saga.parked();
        if status.is_terminal() {
            assert!(parked.is_empty(), "seed {seed}: terminal with {parked:?}");
        } else {
            assert_eq!(status, SagaStatus::Parked, "seed {seed}: stuck {status}");
            assert!(!parked.is_empty(), "seed {seed}: parked but nothing shown");
        }
        assert!(
            sim.saga
                .next_actions(sim.now + Duration::days(30))
                .is_empty(),
            "seed {seed}: settled yet something is due"
        );

        // Exactly one terminal state (a confirmation may later be followed by a cancellation).
        let ends: Vec<&SagaOutcome> = sim
            .log
            .iter()
            .filter_map(|e| match e {
                SagaEvent::SagaEnded { outcome, .. } => Some(outcome),
                _ => None,
            })
            .collect();
        match ends.as_slice() {
            [] => assert!(!status.is_terminal(), "seed {seed}"),
            // Confirmed, then a cancellation that waits for staff.
            [SagaOutcome::Confirmed] if status == SagaStatus::Parked => {
                assert!(sim.saga.cancellation().is_some(), "seed {seed}");
            }
            [only] => assert_eq!(only.status(), status, "seed {seed}"),
            [SagaOutcome::Confirmed, SagaOutcome::Cancelled { .. }] => {
                assert_eq!(status, SagaStatus::Cancelled, "seed {seed}");
            }
            more => panic!("seed {seed}: ended {more:?}"),
        }

        // Nothing undone that did not complete, in reverse order; a rejection undoes nothing.
        let s = sim.saga.state().unwrap();
        if let Some(run) = sim.saga.compensation() {
            assert!(
                !matches!(sim.saga.outcome(), Some(SagaOutcome::Rejected { .. })),
                "seed {seed}"
            );
            let plan = s.plan();
            // A refund stands where the void would have: it undoes the payment.
            let undone = |c: &Compensation| match c {
                Compensation::RefundPayment => ForwardStep::AuthorizePayment,
                c => c.undoes(),
            };
            let position = |c: &Compensation| plan.iter().position(|p| *p == undone(c));
            let positions: Vec<_> = run.items.iter().map(|i| position(&i.action)).collect();
            assert!(
                positions.iter().all(Option::is_some),
                "seed {seed}: {positions:?}"
            );
            assert!(
                positions.windows(2).all(|w| w[0] > w[1]),
                "seed {seed}: not in reverse order: {:?}",
                run.items
            );
            for item in &run.items {
                assert!(
                    s.succeeded(item.action.undoes()),
                    "seed {seed}: {} planned",
                    item.action
                );
            }
            assert!(
                !ends.contains(&&SagaOutcome::Confirmed),
                "seed {seed}: compensated and confirmed"
            );
        }
        // Every forward attempt got its answer (or its timeout).
        for a in sim.saga.attempts() {
            assert!(a.outcome.is_some(), "seed {seed}: {a:?}");
        }
    }
    // The generator reaches every end.
    for status in ["confirmed", "rejected", "failed", "cancelled", "parked"] {
        assert!(seen.contains(status), "no run ended {status}: {seen:?}");
    }
}
