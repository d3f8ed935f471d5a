//! Stress tests: many short rounds of transfers on two persistent threads
//! lined up at the start of every round, with random accounts and amounts
//! from the seed, and the outcome checked after every round.
//!
//! A failure names the bug, the round and the seed, and prints the command
//! that replays the same inputs (`STRESS_SEED=...`); `STRESS_ROUNDS` runs
//! more rounds. A deadlock fails the test through a watchdog within seconds.

mod common;

use std::sync::Arc;

use common::{Overlap, STALL, Transfer, lined_up_rounds};
use exercise_5::{Bank, TransferError};
use rand::Rng;
use rand::seq::IndexedRandom;
use testkit::StdRng;

/// Balances a round starts from. Few distinct values, so that accounts
/// often hold the same amount: an implementation that orders its locks by
/// balance then disagrees with itself about the order.
const START_BALANCES: [u64; 5] = [0, 40, 80, 80, 120];

/// Bursts of transfers in opposite directions between two accounts.
struct OppositeRound {
    bank: Bank,
    before: Vec<u64>,
    accounts: (usize, usize),
    /// The amounts thread 0 moves from `accounts.0` to `accounts.1`, and
    /// thread 1 back.
    amounts: [Vec<u64>; 2],
    overlap: Overlap,
}

#[test]
fn opposite_transfers_never_deadlock() {
    let _exclusive = testkit::exclusive();
    let stress = testkit::stress!(300);
    let mut rng = stress.rng();
    let report = stress.clone();
    lined_up_rounds(
        &stress,
        move |_round| {
            let len = rng.random_range(2..=3);
            // Every other round starts with all balances equal (all 0 now and
            // then, which makes every transfer but those of 0 fail and keeps
            // them equal for the whole round).
            let before: Vec<u64> = if rng.random_bool(0.5) {
                vec![*[0, 0, 40, 80].choose(&mut rng).unwrap(); len]
            } else {
                (0..len).map(|_| *START_BALANCES.choose(&mut rng).unwrap()).collect()
            };
            let from = rng.random_range(0..len);
            let to = (from + rng.random_range(1..len)) % len;
            // Long bursts, so that the threads spend their time transferring
            // rather than waiting at the barrier: a thread preempted between
            // its two locks then deadlocks even when both share one core.
            // Half of the amounts are 0, which keeps equal balances equal.
            let mut burst = || -> Vec<u64> {
                let length = rng.random_range(1..=256);
                (0..length).map(|_| if rng.random_bool(0.5) { 0 } else { rng.random_range(1..=60) }).collect()
            };
            let amounts = [burst(), burst()];
            OppositeRound {
                bank: Bank::new(&before),
                before,
                accounts: (from, to),
                amounts,
                overlap: Overlap::default(),
            }
        },
        |thread, round: &OppositeRound| {
            let (a, b) = round.accounts;
            let (from, to) = if thread == 0 { (a, b) } else { (b, a) };
            round.overlap.run(
                thread,
                || {
                    round.amounts[thread]
                        .iter()
                        .map(|&amount| (amount, round.bank.transfer(from, to, amount)))
                        .collect::<Vec<_>>()
                },
                // Transfers of 0 change no balance, but take the same locks.
                || {
                    let _ = round.bank.transfer(from, to, 0);
                },
            )
        },
        move |round_number, round, outcomes| {
            let (a, b) = round.accounts;
            let mut expected = round.before.clone();
            for (thread, outcome) in outcomes.iter().enumerate() {
                let (from, to) = if thread == 0 { (a, b) } else { (b, a) };
                for &(amount, result) in outcome {
                    match result {
                        Ok(()) => {
                            // Wrapping: the check below reports a balance that
                            // went below zero instead of panicking here.
                            expected[from] = expected[from].wrapping_sub(amount);
                            expected[to] = expected[to].wrapping_add(amount);
                        }
                        Err(TransferError::InsufficientFunds) => {}
                        Err(error) => report.fail(
                            round_number,
                            format!(
                                "transfer({from}, {to}, {amount}) between two existing, distinct accounts \
                                 returned {error:?}"
                            ),
                        ),
                    }
                }
            }
            let after: Vec<Option<u64>> = (0..round.before.len()).map(|account| round.bank.balance(account)).collect();
            let expected: Vec<Option<u64>> = expected.into_iter().map(Some).collect();
            if after != expected {
                report.fail(
                    round_number,
                    format!(
                        "from balances {:?}, one thread moved {:?} from account {a} to {b} while another \
                         moved {:?} back; the successful transfers should leave {expected:?}, but the \
                         balances are {after:?}: transfers in opposite directions lost an update (a \
                         transfer is not one atomic step)",
                        round.before, round.amounts[0], round.amounts[1]
                    ),
                );
            }
        },
        {
            let stress = stress.clone();
            move |round| {
                stress.stalled(
                    round,
                    format!(
                        "transfers made no progress for {} s: threads are waiting on each other's locks. One \
                         thread was transferring from account a to b while the other transferred from b to a; \
                         each holds one account's lock and waits for the other's (a lock-ordering deadlock)",
                        STALL.as_secs_f64()
                    ),
                )
            }
        },
    );
}

/// Totals taken by one thread while the other transfers.
struct SnapshotRound {
    bank: Arc<Bank>,
    transfers: Vec<Transfer>,
    totals: usize,
    overlap: Overlap,
}

#[test]
fn total_is_a_consistent_snapshot() {
    const ACCOUNTS: usize = 8;
    let _exclusive = testkit::exclusive();
    let stress = testkit::stress!(1_000);
    let mut rng = stress.rng();
    let initial: Vec<u64> = (0..ACCOUNTS).map(|_| rng.random_range(0..=500)).collect();
    let sum: u64 = initial.iter().sum();
    let bank = Arc::new(Bank::new(&initial));
    let report = stress.clone();
    lined_up_rounds(
        &stress,
        move |_round| SnapshotRound {
            bank: bank.clone(),
            transfers: (0..16).map(|_| random_transfer(&mut rng, ACCOUNTS, 300)).collect(),
            totals: rng.random_range(1..=4),
            overlap: Overlap::default(),
        },
        |thread, round: &SnapshotRound| {
            if thread == 0 {
                let mut totals: Vec<u64> = Vec::new();
                let planned = round.overlap.run(
                    0,
                    || (0..round.totals).map(|_| round.bank.total()).collect::<Vec<_>>(),
                    || totals.push(round.bank.total()),
                );
                totals.extend(planned);
                totals
            } else {
                // The transfers go round the list again while the totals
                // are still being taken: money only moves, so every total
                // must still come out the same.
                let mut again = round.transfers.iter().cycle();
                round.overlap.run(
                    1,
                    || {
                        for t in &round.transfers {
                            let _ = round.bank.transfer(t.from, t.to, t.amount);
                        }
                    },
                    || {
                        let t = again.next().expect("a round with no transfers");
                        let _ = round.bank.transfer(t.from, t.to, t.amount);
                    },
                );
                Vec::new()
            }
        },
        move |round_number, round, [totals, _]| {
            if let Some(&wrong) = totals.iter().find(|&&total| total != sum) {
                report.fail(
                    round_number,
                    format!(
                        "total() returned {wrong} while another thread was transferring, but the bank \
                         holds {sum} all the time (transfers only move money): total is not one \
                         consistent snapshot. It saw some accounts before a transfer and others after \
                         it, or a transfer let the money be in neither account (or both) for a moment"
                    ),
                );
            }
            let after: u64 = (0..ACCOUNTS).filter_map(|account| round.bank.balance(account)).sum();
            if after != sum {
                report.fail(
                    round_number,
                    format!(
                        "after a round of concurrent transfers the balances add up to {after}, not {sum}: \
                         concurrent transfers lost or created money"
                    ),
                );
            }
        },
        {
            let stress = stress.clone();
            move |round| {
                stress.stalled(
                    round,
                    format!(
                        "transfers and total() made no progress for {} s: threads are waiting on each other's \
                         locks. One thread was taking totals while the other made transfers in both \
                         directions; each holds a lock the other needs (a lock-ordering deadlock: total and \
                         transfer must take their locks in the same order)",
                        STALL.as_secs_f64()
                    ),
                )
            }
        },
    );
}

/// A transfer between two random, distinct accounts of a bank with `len`
/// accounts.
fn random_transfer(rng: &mut StdRng, len: usize, max_amount: u64) -> Transfer {
    let from = rng.random_range(0..len);
    let to = (from + rng.random_range(1..len)) % len;
    // A transfer of 0 now and then: it must succeed like any other.
    let amount = if rng.random_ratio(1, 8) { 0 } else { rng.random_range(1..=max_amount) };
    Transfer { from, to, amount }
}

/// The contract of `Bank`, one call at a time, with its scenarios
/// (shared with `tests/lane.rs`, which runs them under the controlled
/// scheduler).
#[path = "spec/bank.rs"]
mod spec;

/// No list of bug shapes: small random scenarios of the whole API (2–3
/// threads, 1–3 calls each, arguments chosen to compete) on real threads,
/// each accepted only if some order of the same calls, one at a time,
/// explains every result and the final state (linearizability). Calls that
/// wait for each other for good fail after 5 s with the scenario.
#[test]
fn scenarios_on_real_threads_are_linearizable() {
    let _exclusive = testkit::exclusive();
    let stress = testkit::stress!(5_000);
    testkit::lincheck::assert_linearizable_on_threads::<spec::BankSpec>(&stress, std::time::Duration::from_secs(5));
}
